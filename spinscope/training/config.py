"""The settings of one technique-model training run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TrainConfig:
    epochs: int = 5
    batch_size: int = 16
    lr: float = 8e-5
    head_lr: float = 1e-3
    warmup: float = 0.1
    max_len: int = 256
    train_stride: int = 254
    infer_stride: int = 222
    class_weight_power: float = 0.3
    tc_loss_weight: float = 1.0
    seed: int = 13
    threads: int = 2
    threshold: float = 0.5
    gap: int = 0
    peak: float = 0.0  # hysteresis: keep a span only if a token reaches P(inside) >= peak (0: off)
    extend: float = 0.0  # carry a sentence's last span to its end when the words after it have P(outside) < extend
    max_steps: int = 0  # 0 = no limit (tests use a few steps)
    freeze_word_embeddings: bool = True
    device: str = "cpu"  # "cuda" trains on a GPU (export and scoring always run on the CPU)
    layers: int = 0  # keep only the first N encoder layers (0 = all)
    claims_weight: float = 0.0  # weight of the auxiliary check-worthiness loss (needs claims data)
    claims_dev_fraction: float = 0.1  # ClaimBuster share held out (never trained on), as in train_claims
    claims_holdout_debates: int = 0  # the latest debates whose claim labels the encoder never sees (0: none)
    claims_val_debates: int = 0  # and the validation debates before them
    swap_names: str = ""  # actor-pairs TSV: train on articles with opposing actors' names swapped ("" = off)
    swap_prob: float = 0.5  # chance that an epoch reads an article that names a pair in a swapped version
    mask_names: str | dict = ""  # read every name as a placeholder (config mask_names; "" = off)
    unlabeled: str = ""  # folder of unlabeled .txt articles for self-training ("" = off)
    teacher: str = ""  # the exported model whose span probabilities are their soft targets
    unlabeled_limit: int = 0  # use the first N unlabeled articles (0 = all)
    soft_weight: float = 1.0  # weight of the soft span loss against the gold one
    soft_labels: str = ""  # a file of 'spinscope train soft-labels' in place of unlabeled + teacher
