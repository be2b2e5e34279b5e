"""A training run's checkpoint: saved after each epoch, resumed by the same command, refused if its settings differ."""

from __future__ import annotations

from pathlib import Path

from ..document import InputError


def save_checkpoint(path: Path, settings: dict, net, opt, sched, **extra) -> None:
    """Write the run's state; a run killed while saving keeps the previous checkpoint."""
    import torch

    tmp = path.with_suffix(".tmp")
    torch.save({"settings": settings, "net": net.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                "torch_rng": torch.get_rng_state(), **extra}, tmp)
    tmp.replace(path)


def load_checkpoint(path: Path, settings: dict, net, opt, sched) -> dict:
    """Restore a saved run into ``net``, ``opt`` and ``sched``; the saved state (its ``step``,
    ``epoch`` and extras). InputError when it was saved by a run of other settings or data."""
    import torch

    state = torch.load(path, map_location="cpu", weights_only=False)
    if state["settings"] != settings:
        raise InputError(f"{path}: a checkpoint of a run with other settings or articles; "
                         f"remove it or train into another --out")
    net.load_state_dict(state["net"])
    opt.load_state_dict(state["opt"])
    sched.load_state_dict(state["sched"])
    torch.set_rng_state(state["torch_rng"])
    return state
