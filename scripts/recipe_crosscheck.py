#!/usr/bin/python3
"""Shows that PyTorch computes what gan's SpectralNorm and DiffAugment compute.

    scripts/recipe_crosscheck.py FILE    (FILE written by tests/torch/export_recipe)

SpectralNorm: builds torch.nn.utils.spectral_norm over Linear, Conv2d and ConvTranspose2d,
loads our initial weight_orig, bias, weight_u and weight_v with load_state_dict(strict=True)
(so the names are PyTorch's), runs one training-mode forward (one power iteration) and
backward of L = sum(y * dy), and compares y, dx, every gradient, u and v after the
iteration, and an eval-mode forward.

DiffAugment: replays our draw through the functions of the reference DiffAugment_pytorch.py
(Zhao et al. 2020), written out below with the random numbers replaced by ours, and compares
the output and its autograd input gradient.

Exits 1 if any relative error exceeds 1e-9 (the export is float64).
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_check  # noqa: E402

TOLERANCE = 1e-9


def spectral_norm_checks(t, prefix, module):
    module = nn.utils.spectral_norm(module.double())
    init = {k[len(prefix + "init."):]: v for k, v in t.items() if k.startswith(prefix + "init.")}
    module.load_state_dict(init, strict=True)
    module.train()
    x = t[prefix + "x"].clone().requires_grad_(True)
    y = module(x)
    (y * t[prefix + "dy"]).sum().backward()
    checks = [(prefix + "y", y), (prefix + "dx", x.grad),
              (prefix + "weight_u", module.weight_u), (prefix + "weight_v", module.weight_v)]
    for name, p in module.named_parameters():
        checks.append((prefix + "grad." + name, p.grad))
    module.eval()
    with torch.no_grad():
        checks.append((prefix + "y_eval", module(t[prefix + "x"])))
    return checks


# The reference's augmentations, each with its torch.rand / torch.randint draw replaced by ours.
def rand_brightness(x, r):
    return x + r.view(-1, 1, 1, 1)


def rand_saturation(x, r):
    x_mean = x.mean(dim=1, keepdim=True)
    return (x - x_mean) * r.view(-1, 1, 1, 1) + x_mean


def rand_contrast(x, r):
    x_mean = x.mean(dim=[1, 2, 3], keepdim=True)
    return (x - x_mean) * r.view(-1, 1, 1, 1) + x_mean


def rand_translation(x, translation_x, translation_y):
    translation_x = translation_x.long().view(-1, 1, 1)
    translation_y = translation_y.long().view(-1, 1, 1)
    grid_batch, grid_x, grid_y = torch.meshgrid(
        torch.arange(x.size(0), dtype=torch.long),
        torch.arange(x.size(2), dtype=torch.long),
        torch.arange(x.size(3), dtype=torch.long),
        indexing="ij",
    )
    grid_x = torch.clamp(grid_x + translation_x + 1, 0, x.size(2) + 1)
    grid_y = torch.clamp(grid_y + translation_y + 1, 0, x.size(3) + 1)
    x_pad = F.pad(x, [1, 1, 1, 1, 0, 0, 0, 0])
    return x_pad.permute(0, 2, 3, 1).contiguous()[grid_batch, grid_x, grid_y].permute(0, 3, 1, 2)


def rand_cutout(x, offset_x, offset_y, ratio=0.5):
    cutout_size = int(x.size(2) * ratio + 0.5), int(x.size(3) * ratio + 0.5)
    offset_x = offset_x.long().view(-1, 1, 1)
    offset_y = offset_y.long().view(-1, 1, 1)
    grid_batch, grid_x, grid_y = torch.meshgrid(
        torch.arange(x.size(0), dtype=torch.long),
        torch.arange(cutout_size[0], dtype=torch.long),
        torch.arange(cutout_size[1], dtype=torch.long),
        indexing="ij",
    )
    grid_x = torch.clamp(grid_x + offset_x - cutout_size[0] // 2, min=0, max=x.size(2) - 1)
    grid_y = torch.clamp(grid_y + offset_y - cutout_size[1] // 2, min=0, max=x.size(3) - 1)
    mask = torch.ones(x.size(0), x.size(2), x.size(3), dtype=x.dtype)
    mask[grid_batch, grid_x, grid_y] = 0
    return x * mask.unsqueeze(1)


def augment_checks(t, prefix):
    x = t[prefix + "x"].clone().requires_grad_(True)
    y = rand_brightness(x, t[prefix + "brightness"])
    y = rand_saturation(y, t[prefix + "saturation"])
    y = rand_contrast(y, t[prefix + "contrast"])
    y = rand_translation(y, t[prefix + "shift_h"], t[prefix + "shift_w"])
    y = rand_cutout(y, t[prefix + "offset_h"], t[prefix + "offset_w"])
    (y * t[prefix + "dy"]).sum().backward()
    # The draws must lie in the reference's ranges for these sizes.
    h, w = x.shape[2], x.shape[3]
    shift_h, shift_w = int(h / 8 + 0.5), int(w / 8 + 0.5)
    ranges_ok = (t[prefix + "shift_h"].abs().max() <= shift_h and
                 t[prefix + "shift_w"].abs().max() <= shift_w and
                 t[prefix + "offset_h"].min() >= 0 and
                 t[prefix + "offset_h"].max() < h + 1 - int(h / 2 + 0.5) % 2 and
                 t[prefix + "offset_w"].max() < w + 1 - int(w / 2 + 0.5) % 2)
    if not ranges_ok:
        print(f"FAIL {prefix}: a drawn parameter outside the reference's range")
        return None
    return [(prefix + "y", y), (prefix + "dx", x.grad)]


def main(path):
    t = safetensors_check.load_file(path)
    checks = []
    checks += spectral_norm_checks(t, "dense.", nn.Linear(7, 5))
    checks += spectral_norm_checks(t, "conv.", nn.Conv2d(3, 4, 3, 2, 1))
    checks += spectral_norm_checks(t, "convt.", nn.ConvTranspose2d(3, 2, 4, 2, 1))
    for prefix in ("augment3.", "augment1."):
        more = augment_checks(t, prefix)
        if more is None:
            return 1
        checks += more
    worst = 0.0
    for key, theirs in checks:
        ours = t[key]
        theirs = theirs.detach()
        if ours.shape != theirs.shape:
            print(f"FAIL {key}: shape {tuple(ours.shape)} vs torch {tuple(theirs.shape)}")
            return 1
        err = ((ours - theirs).abs().max() / theirs.abs().max().clamp_min(1e-30)).item()
        worst = max(worst, err)
        print(f"{'ok  ' if err < TOLERANCE else 'FAIL'} {key:28s} max relative error {err:.2e}")
    print(f"recipe_crosscheck: worst relative error {worst:.2e} over {len(checks)} tensors")
    return 0 if worst < TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
