# hpcest: stand-in for the Azure ML SDK inside jobs (only what training scripts use).
