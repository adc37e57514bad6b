"""Latent guard calibration (models/calibrate.py). Kept outside latentlint_model/ on purpose: every
file there is part of the converter's cache key, and recalibrating must not rebuild the model."""
