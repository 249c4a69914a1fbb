"""v1's authentication classes: accepted and ignored (the cluster is reached with SSH keys).

Notebooks build one and pass it to ``Workspace(..., auth=auth)``; neither needs Azure here.
"""

from __future__ import annotations

from typing import Any


class _IgnoredAuthentication:
    def get_authentication_header(self) -> dict[str, str]:
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(ignored: hpcest reaches clusters over SSH)"


class InteractiveLoginAuthentication(_IgnoredAuthentication):
    def __init__(self, force: bool = False, tenant_id: str | None = None, cloud: str | None = None) -> None:
        self.tenant_id = tenant_id


class ServicePrincipalAuthentication(_IgnoredAuthentication):
    def __init__(
        self,
        tenant_id: str,
        service_principal_id: str,
        service_principal_password: str,
        cloud: str = "AzureCloud",
        _enable_caching: bool = True,
    ) -> None:
        # The secret is not kept: nothing here would use it.
        self.tenant_id = tenant_id
        self.service_principal_id = service_principal_id


class AzureCliAuthentication(_IgnoredAuthentication):
    def __init__(self, cloud: str | None = None) -> None:
        pass


class MsiAuthentication(_IgnoredAuthentication):
    def __init__(self, cloud: str | None = None, **kwargs: Any) -> None:
        pass
