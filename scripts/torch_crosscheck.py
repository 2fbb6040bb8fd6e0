#!/usr/bin/python3
"""Shows that PyTorch's dcgan28 with our weights computes what gan computes.

    scripts/torch_crosscheck.py FILE    (FILE written by tests/torch/export_dcgan28)

Loads the weights with our own safetensors reader (scripts/safetensors_check.py; the
`safetensors` package is not in Debian), builds the same nets as torch.nn.Sequential (the
reference definition of bench/torch_dcgan28.py), runs the generator's
non-saturating loss BCE(D(G(z)), 1) forward and backward, and compares outputs and every
parameter gradient. Exits 1 if any relative error exceeds 1e-9 (the export is float64).
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_check  # noqa: E402


def generator():
    return nn.Sequential(nn.Linear(100, 128 * 7 * 7), nn.LeakyReLU(0.2), nn.Unflatten(1, (128, 7, 7)),
                         nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.LeakyReLU(0.2),
                         nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Sigmoid())


def discriminator():
    return nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(64, 128, 4, 2, 1),
                         nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(128 * 7 * 7, 1), nn.Sigmoid())


def state(tensors, prefix):
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def main(path):
    t = safetensors_check.load_file(path)
    G, D = generator().double(), discriminator().double()
    G.load_state_dict(state(t, "generator."), strict=True)
    D.load_state_dict(state(t, "discriminator."), strict=True)
    fake = G(t["input.z"])
    score_fake = D(fake)
    loss = nn.functional.binary_cross_entropy(score_fake, torch.ones_like(score_fake))
    loss.backward()
    with torch.no_grad():
        score_real = D(t["input.x"])
    checks = [("output.fake", fake), ("output.score_fake", score_fake),
              ("output.score_real", score_real), ("output.loss_g", loss.reshape(1))]
    for prefix, net in (("generator.", G), ("discriminator.", D)):
        for name, p in net.named_parameters():
            checks.append(("grad." + prefix + name, p.grad))
    worst = 0.0
    for key, theirs in checks:
        ours = t[key]
        theirs = theirs.detach()
        if ours.shape != theirs.shape:
            print(f"FAIL {key}: shape {tuple(ours.shape)} vs torch {tuple(theirs.shape)}")
            return 1
        err = ((ours - theirs).abs().max() / theirs.abs().max().clamp_min(1e-30)).item()
        worst = max(worst, err)
        print(f"{'ok  ' if err < 1e-9 else 'FAIL'} {key:40s} max relative error {err:.2e}")
    print(f"torch_crosscheck: worst relative error {worst:.2e} over {len(checks)} tensors")
    return 0 if worst < 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
