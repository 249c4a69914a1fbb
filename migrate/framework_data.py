"""Framework estimator facts: default versions, curated environment names and scenario pins.

Transcribed from the published v1 wheels (scenario files) and the 2020 curated-environment list, so the
codemod can pick the environment a framework estimator would have used without importing azureml.
"""

from __future__ import annotations

from typing import Any

DEFAULT_CPU_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:20251130.v1"
DEFAULT_GPU_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.8-cudnn8-ubuntu22.04"

FRAMEWORKS: dict[str, dict[str, Any]] = {
    "PyTorch": {
        "default_version": "1.4",
        "backends": ["mpi", "gloo", "nccl"],
        "versions": ["1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6"],
        "curated": {
            "1.0-cpu": "AzureML-PyTorch-1.0-CPU",
            "1.0-gpu": "AzureML-PyTorch-1.0-GPU",
            "1.1-cpu": "AzureML-PyTorch-1.1-CPU",
            "1.1-gpu": "AzureML-PyTorch-1.1-GPU",
            "1.2-cpu": "AzureML-PyTorch-1.2-CPU",
            "1.2-gpu": "AzureML-PyTorch-1.2-GPU",
            "1.3-cpu": "AzureML-PyTorch-1.3-CPU",
            "1.3-gpu": "AzureML-PyTorch-1.3-GPU",
            "1.4-cpu": "AzureML-PyTorch-1.4-CPU",
            "1.4-gpu": "AzureML-PyTorch-1.4-GPU",
            "1.5-cpu": "AzureML-PyTorch-1.5-CPU",
            "1.5-gpu": "AzureML-PyTorch-1.5-GPU",
            "1.6-cpu": "AzureML-PyTorch-1.6-CPU",
            "1.6-gpu": "AzureML-PyTorch-1.6-GPU",
        },
        "scenarios": {
            "1.0-cpu": {
                "base_image": "mcr.microsoft.com/azureml/base:intelmpi2018.3-ubuntu16.04",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": ["azureml-defaults", "torch==1.0", "torchvision==0.4.1", "horovod==0.18.1"],
            },
            "1.0-gpu": {
                "base_image": "mcr.microsoft.com/azureml/base-gpu:openmpi3.1.2-cuda10.0-cudnn7-ubuntu16.04",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": ["azureml-defaults", "torch==1.0", "torchvision==0.4.1", "horovod==0.18.1"],
            },
            "1.1-cpu": {
                "base_image": "mcr.microsoft.com/azureml/base:intelmpi2018.3-ubuntu16.04",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "torch==1.1",
                    "torchvision==0.4.1",
                    "horovod==0.18.1",
                    "tensorboard==1.14.0",
                    "future==0.17.1",
                ],
            },
            "1.1-gpu": {
                "base_image": "mcr.microsoft.com/azureml/base-gpu:openmpi3.1.2-cuda10.0-cudnn7-ubuntu16.04",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "torch==1.1",
                    "torchvision==0.4.1",
                    "horovod==0.18.1",
                    "tensorboard==1.14.0",
                    "future==0.17.1",
                ],
            },
            "1.2-cpu": {
                "base_image": "mcr.microsoft.com/azureml/base:intelmpi2018.3-ubuntu16.04",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "torch==1.2",
                    "torchvision==0.4.1",
                    "horovod==0.18.1",
                    "tensorboard==1.14.0",
                    "future==0.17.1",
                ],
            },
            "1.2-gpu": {
                "base_image": "mcr.microsoft.com/azureml/base-gpu:openmpi3.1.2-cuda10.0-cudnn7-ubuntu16.04",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "torch==1.2",
                    "torchvision==0.4.1",
                    "horovod==0.18.1",
                    "tensorboard==1.14.0",
                    "future==0.17.1",
                ],
            },
            "1.3-cpu": {
                "base_image": "mcr.microsoft.com/azureml/base:intelmpi2018.3-ubuntu16.04",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "torch==1.3.1",
                    "torchvision==0.4.1",
                    "horovod==0.18.1",
                    "tensorboard==1.14.0",
                    "future==0.17.1",
                ],
            },
            "1.3-gpu": {
                "base_image": "mcr.microsoft.com/azureml/base-gpu:openmpi4.1.0-cuda11.1-cudnn8-ubuntu20.04",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "torch==1.3.1",
                    "torchvision==0.4.1",
                    "horovod==0.18.1",
                    "tensorboard==1.14.0",
                    "future==0.17.1",
                ],
            },
            "1.4-cpu": {
                "base_image": "mcr.microsoft.com/azureml/base:openmpi3.1.2-ubuntu16.04",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "torch==1.4.0",
                    "torchvision==0.5.0",
                    "horovod==0.18.1",
                    "tensorboard==1.14.0",
                    "future==0.17.1",
                ],
            },
            "1.4-gpu": {
                "base_image": "mcr.microsoft.com/azureml/base-gpu:openmpi4.1.0-cuda11.1-cudnn8-ubuntu20.04",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "torch==1.4.0",
                    "torchvision==0.5.0",
                    "horovod==0.18.1",
                    "tensorboard==1.14.0",
                    "future==0.17.1",
                ],
            },
            "1.5-cpu": {
                "base_image": "mcr.microsoft.com/azureml/base:openmpi3.1.2-ubuntu16.04",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "torch==1.5.0",
                    "torchvision==0.5.0",
                    "horovod==0.19.1",
                    "tensorboard==1.14.0",
                    "future==0.17.1",
                ],
            },
            "1.5-gpu": {
                "base_image": "mcr.microsoft.com/azureml/base-gpu:openmpi4.1.0-cuda11.1-cudnn8-ubuntu20.04",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "torch==1.5.0",
                    "torchvision==0.5.0",
                    "horovod==0.19.1",
                    "tensorboard==1.14.0",
                    "future==0.17.1",
                ],
            },
            "1.6-cpu": {
                "base_image": "mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu16.04",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "torch==1.6.0",
                    "torchvision==0.5.0",
                    "horovod==0.19.5",
                    "tensorboard==1.14.0",
                    "future==0.17.1",
                ],
            },
            "1.6-gpu": {
                "base_image": "mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.1-cudnn8-ubuntu20.04",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "torch==1.6.0",
                    "torchvision==0.5.0",
                    "horovod==0.19.5",
                    "tensorboard==1.14.0",
                    "future==0.17.1",
                ],
            },
        },
    },
    "TensorFlow": {
        "default_version": "1.13",
        "backends": ["mpi", "ps"],
        "versions": ["1.10", "1.12", "1.13", "2.0", "2.1", "2.2", "2.3"],
        "curated": {
            "1.10-cpu": "AzureML-TensorFlow-1.10-CPU",
            "1.10-gpu": "AzureML-TensorFlow-1.10-GPU",
            "1.12-cpu": "AzureML-TensorFlow-1.12-CPU",
            "1.12-gpu": "AzureML-TensorFlow-1.12-GPU",
            "1.13-cpu": "AzureML-TensorFlow-1.13-CPU",
            "1.13-gpu": "AzureML-TensorFlow-1.13-GPU",
            "2.0-cpu": "AzureML-TensorFlow-2.0-CPU",
            "2.0-gpu": "AzureML-TensorFlow-2.0-GPU",
            "2.1-cpu": "AzureML-TensorFlow-2.1-CPU",
            "2.1-gpu": "AzureML-TensorFlow-2.1-GPU",
            "2.2-cpu": "AzureML-TensorFlow-2.2-CPU",
            "2.2-gpu": "AzureML-TensorFlow-2.2-GPU",
            "2.3-gpu": "AzureML-TensorFlow-2.3-GPU",
            "2.3-cpu": None,
        },
        "scenarios": {
            "1.10-cpu": {
                "base_image": "mcr.microsoft.com/azureml/intelmpi2018.3-ubuntu16.04:20200423.v1",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "azureml-dataset-runtime[fuse,pandas]",
                    "tensorflow==1.10.0",
                    "horovod==0.15.2",
                ],
            },
            "1.10-gpu": {
                "base_image": "mcr.microsoft.com/azureml/intelmpi2018.3-cuda9.0-cudnn7-ubuntu16.04:20200704.v1",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "azureml-dataset-runtime[fuse,pandas]",
                    "tensorflow-gpu==1.10.0",
                    "horovod==0.15.2",
                ],
            },
            "1.12-cpu": {
                "base_image": "mcr.microsoft.com/azureml/intelmpi2018.3-ubuntu16.04:20200423.v1",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "azureml-dataset-runtime[fuse,pandas]",
                    "tensorflow==1.12.0",
                    "horovod==0.15.2",
                ],
            },
            "1.12-gpu": {
                "base_image": "mcr.microsoft.com/azureml/intelmpi2018.3-cuda9.0-cudnn7-ubuntu16.04:20200704.v1",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "azureml-dataset-runtime[fuse,pandas]",
                    "tensorflow-gpu==1.12.0",
                    "horovod==0.15.2",
                ],
            },
            "1.13-cpu": {
                "base_image": "mcr.microsoft.com/azureml/intelmpi2018.3-ubuntu16.04:20200423.v1",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "azureml-dataset-runtime[fuse,pandas]",
                    "tensorflow==1.13.1",
                    "horovod==0.16.1",
                ],
            },
            "1.13-gpu": {
                "base_image": "mcr.microsoft.com/azureml/intelmpi2018.3-cuda10.0-cudnn7-ubuntu16.04:20200704.v1",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "azureml-dataset-runtime[fuse,pandas]",
                    "tensorflow-gpu==1.13.1",
                    "horovod==0.16.1",
                ],
            },
            "2.0-cpu": {
                "base_image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:20200423.v1",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "azureml-dataset-runtime[fuse,pandas]",
                    "tensorflow==2.0.0",
                    "horovod==0.18.1",
                ],
            },
            "2.0-gpu": {
                "base_image": "mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.1-cudnn8-ubuntu20.04:20200704.v1",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "azureml-dataset-runtime[fuse,pandas]",
                    "tensorflow-gpu==2.0.0",
                    "horovod==0.18.1",
                ],
            },
            "2.1-cpu": {
                "base_image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:20200423.v1",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": ["azureml-defaults", "tensorflow==2.1.0", "horovod==0.19.1"],
            },
            "2.1-gpu": {
                "base_image": "mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.1-cudnn8-ubuntu20.04:20200423.v1",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": ["azureml-defaults", "tensorflow-gpu==2.1.0", "horovod==0.19.1"],
            },
            "2.2-cpu": {
                "base_image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:20200423.v1",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": ["azureml-defaults", "tensorflow==2.2.0", "horovod==0.19.5"],
            },
            "2.2-gpu": {
                "base_image": "mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.1-cudnn8-ubuntu20.04:20200423.v1",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": ["azureml-defaults", "tensorflow-gpu==2.2.0", "horovod==0.19.5"],
            },
            "2.3-cpu": {
                "base_image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:20200423.v1",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": ["azureml-defaults", "tensorflow==2.3.0", "cmake==3.18.2", "horovod==0.20.0"],
            },
            "2.3-gpu": {
                "base_image": "mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.1-cudnn8-ubuntu20.04:20200423.v1",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "tensorflow-gpu==2.3.0",
                    "cmake==3.18.2",
                    "horovod==0.20.0",
                ],
            },
        },
    },
    "Chainer": {
        "default_version": "5.1.0",
        "backends": ["mpi"],
        "versions": ["5.1.0", "7.0.0"],
        "curated": {
            "5.1.0-cpu": "AzureML-Chainer-5.1.0-CPU",
            "5.1.0-gpu": "AzureML-Chainer-5.1.0-GPU",
            "7.0.0-cpu": None,
            "7.0.0-gpu": None,
        },
        "scenarios": {
            "5.1.0-cpu": {
                "base_image": "mcr.microsoft.com/azureml/base:intelmpi2018.3-ubuntu16.04",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": ["azureml-defaults", "chainer==5.1.0", "mpi4py==3.0.0"],
            },
            "5.1.0-gpu": {
                "base_image": "mcr.microsoft.com/azureml/base-gpu:intelmpi2018.3-cuda9.0-cudnn7-ubuntu16.04",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": ["azureml-defaults", "chainer==5.1.0", "mpi4py==3.0.0", "cupy-cuda90==5.2.0"],
            },
            "7.0.0-cpu": {
                "base_image": "mcr.microsoft.com/azureml/base:intelmpi2018.3-ubuntu16.04",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": ["azureml-defaults", "chainer==7.0.0", "mpi4py==3.0.0"],
            },
            "7.0.0-gpu": {
                "base_image": "mcr.microsoft.com/azureml/base-gpu:intelmpi2018.3-cuda9.0-cudnn7-ubuntu16.04",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": ["azureml-defaults", "chainer==7.0.0", "mpi4py==3.0.0", "cupy-cuda90==7.0.0"],
            },
        },
    },
    "SKLearn": {
        "default_version": "0.20.3",
        "backends": [],
        "versions": ["0.20.3"],
        "curated": {"0.20.3-cpu": "AzureML-Scikit-learn-0.20.3"},
        "scenarios": {
            "0.20.3-cpu": {
                "base_image": "mcr.microsoft.com/azureml/intelmpi2018.3-ubuntu16.04:20200423.v1",
                "conda_packages": ["python=3.6.2"],
                "pip_packages": [
                    "azureml-defaults",
                    "scikit-learn==0.20.3",
                    "scipy==1.2.1",
                    "joblib==0.13.2",
                ],
            }
        },
    },
}
