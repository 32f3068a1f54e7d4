"""Muza training, sampling and export scripts.

Models that go to the browser are built with Keras 2 (tf_keras): tfjs-layers 4.22
cannot load Keras 3 layers models. The environment variable must be set before
TensorFlow is imported anywhere, so it is set here, on package import.
"""
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# tensorflowjs imports TFDF, whose welcome banner imports IPython when stdout is captured.
os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")
