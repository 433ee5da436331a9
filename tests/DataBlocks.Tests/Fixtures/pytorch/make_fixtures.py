#!/usr/bin/env python3
"""Records the PyTorch weight files the TorchWeights tests read. Run once with Debian's python3-torch and
python3-torchvision (1.13 / 0.14: `/usr/bin/python3 make_fixtures.py`); the outputs are committed.

- resnet18.pth.gz, resnet18_logits.bin: torchvision.models.resnet18()'s state_dict with weights that compress well
  (each tensor a short periodic pattern of a few values, scaled per tensor; running variances positive), saved with
  torch.save into a file object (archive folder "archive", as current PyTorch names it) and gzipped; and its logits
  in evaluation mode, float32 little-endian [2, 1000], on the input x[n, c, h, w] = ((7n + 5c + 3h + 2w) mod 17) / 8 - 1
  of shape [2, 3, 64, 64].
- mixed.pth, mixed_p4.pth, mixed_legacy.pth, mixed.safetensors, mixed.json: one state_dict of every dtype a state_dict
  holds (float16, bfloat16, float32, float64, int64 … uint8, bool), views of one storage (a transpose, a row at a storage
  offset, a strided slice), two tensors sharing a storage, an expanded tensor (stride 0), a 0-d scalar, an empty tensor,
  a num_batches_tracked and nested names, with a _metadata attribute as module state_dicts carry. Saved as torch.save
  writes it (zip, pickle protocol 2), with pickle protocol 4 (FRAME, STACK_GLOBAL, MEMOIZE …), in the legacy non-zip
  format (_use_new_zipfile_serialization=False), and as .safetensors written here by hand (the safetensors package is
  not in Debian). mixed.json: each tensor's dtype, shape and values in row-major order.
- small_f64.pth, small_f64.json: Sequential(fc1=Linear(3, 4), bn=BatchNorm1d(4), fc2=Linear(4, 2)) with seeded weights,
  bn.num_batches_tracked = 5, saved in float64; and its float32 outputs in evaluation mode on x[i, j] = (3i + j) / 4 - 1,
  i < 5, j < 3.
- evil_system.pth, evil_exec.pth, evil_eval_p4.pth: torch.save'd archives whose pickle calls os.system (GLOBAL
  posix.system + REDUCE), __builtin__.exec (protocol 2) and builtins.eval (protocol 4, STACK_GLOBAL); each would run
  `touch /tmp/datablocks-pth-evil-marker` when unpickled by Python's pickle. They are only written here, never loaded.
- whole_model.pth: torch.save(model) of a Sequential(Linear(2, 2)): a pickled module, not a state_dict.
"""
import collections
import gzip
import io
import json
import math
import os
import struct

import torch
import torchvision

here = os.path.dirname(os.path.abspath(__file__))
MARKER = "/tmp/datablocks-pth-evil-marker"


def path(name):
    return os.path.join(here, name)


def write_json(name, value):
    with open(path(name), "w") as f:
        json.dump(value, f, indent=1)
        f.write("\n")


# --- resnet18 ---------------------------------------------------------------------------------------------------------

LEVELS = torch.tensor([1.0, -1.0, 0.5, -0.5, 0.25, -0.75, 0.0])
BIAS_LEVELS = torch.tensor([0.3, -0.2, 0.1, 0.0, -0.4, 0.25, -0.1, 0.05, 0.2, -0.3, 0.15])


def pattern(levels, n, shift):
    return levels[(torch.arange(n) + shift) % len(levels)]


model = torchvision.models.resnet18()
rms = LEVELS.pow(2).mean().sqrt()
with torch.no_grad():
    for i, (name, t) in enumerate(model.state_dict().items()):
        n = t.numel()
        if name.endswith("num_batches_tracked"):
            t.fill_(3)
            continue
        p = pattern(LEVELS, n, i)
        if name.endswith("running_var"):
            v = 1.0 + 0.5 * p
        elif name.endswith("running_mean"):
            v = 0.1 * p
        elif name == "fc.bias":
            v = pattern(BIAS_LEVELS, n, 0)
        elif name.endswith(".bias"):
            v = 0.05 * p
        elif t.dim() == 1:                      # batch-norm weights
            v = 0.5 + 0.25 * p
        else:                                   # convolutions and fc: Kaiming-sized
            v = p * (math.sqrt(2.0 / (n // t.shape[0])) / rms)
            if name == "fc.weight":
                v = v * 0.1                     # logits of a few units, so 1e-4 is a fair tolerance
        t.copy_(v.reshape(t.shape))
model.eval()
N, C, H, W = 2, 3, 64, 64
x = ((torch.arange(N).view(N, 1, 1, 1) * 7 + torch.arange(C).view(1, C, 1, 1) * 5
      + torch.arange(H).view(1, 1, H, 1) * 3 + torch.arange(W).view(1, 1, 1, W) * 2) % 17).float() / 8.0 - 1.0
with torch.no_grad():
    logits = model(x)
buf = io.BytesIO()
torch.save(model.state_dict(), buf)
with open(path("resnet18.pth.gz"), "wb") as f:
    f.write(gzip.compress(buf.getvalue(), compresslevel=9, mtime=0))
with open(path("resnet18_logits.bin"), "wb") as f:
    f.write(logits.contiguous().numpy().astype("<f4").tobytes())
print("resnet18 logits: max |y|", float(logits.abs().max()), "distinct in row 0:", len(torch.unique(logits[0])))

# --- mixed ------------------------------------------------------------------------------------------------------------

base = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.5 - 3.0
pair = torch.arange(10, dtype=torch.float32) * 1.5
sd = collections.OrderedDict()
sd["encoder.embed.weight"] = base                          # the three below are views of its storage
sd["encoder.embed.weight_t"] = base.t()                    # non-contiguous: strides (1, 6)
sd["encoder.row2"] = base[2]                               # storage offset 12
sd["encoder.cols"] = base[1:, ::2]                         # storage offset 6, strides (6, 2)
sd["encoder.layers.0.norm.running_var"] = torch.tensor([0.5, 2.0, 4.0])
sd["encoder.layers.0.norm.num_batches_tracked"] = torch.tensor(12)
sd["pair.a"] = pair[:5]                                    # pair.a and pair.b share one storage, pair is not saved
sd["pair.b"] = pair[5:].view(5, 1)
sd["half"] = torch.tensor([[0.5, -1.25, 3.0], [65504.0, 1e-3, -0.0]], dtype=torch.float16)
sd["bf16"] = torch.tensor([1.5, -2.0, 3.140625, 1e30], dtype=torch.bfloat16)
sd["double"] = torch.tensor([math.pi, -1e-300, 2.5], dtype=torch.float64)
sd["long"] = torch.tensor([[1, -2], [2 ** 40, -(2 ** 62)]], dtype=torch.int64)
sd["int32"] = torch.tensor([2 ** 31 - 1, -(2 ** 31), 7], dtype=torch.int32)
sd["int16"] = torch.tensor([-32768, 32767], dtype=torch.int16)
sd["int8"] = torch.tensor([-128, 127, 0], dtype=torch.int8)
sd["uint8"] = torch.tensor([0, 255, 17], dtype=torch.uint8)
sd["mask"] = torch.tensor([True, False, True, True])
sd["scalar"] = torch.tensor(7.25)
sd["empty"] = torch.zeros(0, 3)
sd["expanded"] = torch.tensor([1.0, 2.0, 3.0]).expand(2, 3)  # stride 0
sd._metadata = collections.OrderedDict([("", {"version": 1}), ("encoder.layers.0.norm", {"version": 2})])

torch.save(sd, path("mixed.pth"))
torch.save(sd, path("mixed_p4.pth"), pickle_protocol=4)
torch.save(sd, path("mixed_legacy.pth"), _use_new_zipfile_serialization=False)

SAFETENSORS_DTYPES = {torch.float16: "F16", torch.bfloat16: "BF16", torch.float32: "F32", torch.float64: "F64",
                      torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
                      torch.bool: "BOOL"}


def tensor_bytes(t):
    flat = t.contiguous().reshape(-1)
    if t.dtype == torch.bfloat16:
        flat = flat.view(torch.int16)
    return flat.numpy().tobytes()          # little-endian on this machine


def write_safetensors(name, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for key, t in tensors.items():
        b = tensor_bytes(t)
        header[key] = {"dtype": SAFETENSORS_DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)         # the data starts 8-byte aligned, as the safetensors library writes it
    with open(path(name), "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


write_safetensors("mixed.safetensors", sd, {"format": "pt", "source": "make_fixtures.py"})


def values(t):
    flat = t.reshape(-1)
    if t.dtype == torch.bool:
        return [bool(v) for v in flat.tolist()]
    if t.dtype.is_floating_point:
        return [float(v) for v in flat.float().tolist()] if t.dtype in (torch.float16, torch.bfloat16) else flat.tolist()
    return [int(v) for v in flat.tolist()]


write_json("mixed.json", [{"name": k, "dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
                           "values": values(t)} for k, t in sd.items()])

# --- small model in float64 -------------------------------------------------------------------------------------------

torch.manual_seed(1)
small = torch.nn.Sequential(collections.OrderedDict(
    [("fc1", torch.nn.Linear(3, 4)), ("bn", torch.nn.BatchNorm1d(4)), ("fc2", torch.nn.Linear(4, 2))]))
with torch.no_grad():
    small.bn.weight.copy_(torch.tensor([1.5, 0.5, -1.0, 2.0]))
    small.bn.bias.copy_(torch.tensor([0.1, -0.2, 0.3, 0.0]))
    small.bn.running_mean.copy_(torch.tensor([0.2, -0.1, 0.05, 0.3]))
    small.bn.running_var.copy_(torch.tensor([0.5, 1.5, 2.0, 0.25]))
    small.bn.num_batches_tracked.fill_(5)
small.eval()
xs = (torch.arange(5).view(5, 1) * 3 + torch.arange(3).view(1, 3)).float() / 4.0 - 1.0
with torch.no_grad():
    ys = small(xs)
torch.save(small.double().state_dict(), path("small_f64.pth"))
write_json("small_f64.json", {"input": xs.tolist(), "output": ys.tolist()})

# --- refused files ----------------------------------------------------------------------------------------------------


class System:
    def __reduce__(self):
        return (os.system, ("touch " + MARKER,))


class Exec:
    def __reduce__(self):
        return (exec, ("import os; os.system('touch " + MARKER + "')",))


class Eval:
    def __reduce__(self):
        return (eval, ("__import__('os').system('touch " + MARKER + "')",))


torch.save({"weight": torch.zeros(2), "evil": System()}, path("evil_system.pth"))
torch.save({"weight": torch.zeros(2), "evil": Exec()}, path("evil_exec.pth"))
torch.save({"weight": torch.zeros(2), "evil": Eval()}, path("evil_eval_p4.pth"), pickle_protocol=4)
torch.manual_seed(2)
torch.save(torch.nn.Sequential(torch.nn.Linear(2, 2)), path("whole_model.pth"))
