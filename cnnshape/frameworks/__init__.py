"""Meeting the frameworks: export a spec as PyTorch or Keras code, import ONNX, Keras JSON
and live PyTorch modules as specs.

Nothing here imports a framework at module level: torch, keras and onnx load only
inside the functions that need them, so ``import cnnshape`` stays framework-free.
"""
