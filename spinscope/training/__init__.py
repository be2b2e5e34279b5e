"""Training and evaluation (the ``train`` extras): PTC and ClaimBuster data, fine-tuning the technique
model, the claims head, ONNX export, cross-validation, and the SemEval measures.

Importing this package needs no PyTorch; the modules that train import it where they train.
"""
