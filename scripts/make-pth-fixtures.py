#!/usr/bin/python3
"""Writes testdata/reference-layout/: golden hub checkpoints re-saved in the reference trainer's layout.

The reference (facebookresearch/blt @9774ed4) consolidates a run into a folder holding params.json (the whole TrainArgs:
a "model" section, an "entropy_model" section, ...) and consolidated.pth (torch.save of {"model": state_dict, ...}),
with entropy_model/ (its own params.json + consolidated.pth) beside it. See docs/reference-layout.md.

Run with Debian's torch:  /usr/bin/python3 scripts/make-pth-fixtures.py
Writes (fp32 and bf16):
  blt-{fp32,bf16}/                  golden blt_k4_projection as params.json + consolidated.pth
  blt-{fp32,bf16}/entropy_model/    golden entropy_model_forward, FFN zero-padded to the reference loader's shape
  malicious-{global,stack-global}/  a consolidated.pth whose data.pkl names os.system / builtins.eval (written by hand)
  odd/{transposed,float64}.pth      a non-contiguous tensor and a float64 one (both refused by blt4j)
"""
import collections
import json
import os
import shutil
import struct
import sys
import zipfile

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
GOLDEN = os.path.join(ROOT, "testdata", "golden")
OUT = os.path.join(ROOT, "testdata", "reference-layout")
BLT_CASE = "blt_k4_projection"
ENTROPY_CASE = "entropy_model_forward"
# what bytelatent/entropy_model.py load_entropy_model reads from params.json["entropy_model"]; the rest is defaulted
ENTROPY_KEYS = ["dim", "n_layers", "n_heads", "max_seqlen", "ffn_dim_multiplier", "vocab_size"]
REFERENCE_MULTIPLE_OF = 256  # BaseTransformerArgs.multiple_of default, which that loader leaves in place


def read_safetensors(path):
    """name -> float32 array, in file order (F32 only: the golden checkpoints are fp32)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = collections.OrderedDict()
    for name, info in sorted(((k, v) for k, v in header.items() if k != "__metadata__"),
                             key=lambda kv: kv[1]["data_offsets"][0]):
        assert info["dtype"] == "F32", (name, info["dtype"])
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype="<f4").reshape(info["shape"]).copy()
    return out


def golden(case):
    with open(os.path.join(GOLDEN, case, "config.json")) as f:
        args = json.load(f)["args"]
    return args, read_safetensors(os.path.join(GOLDEN, case, "model.safetensors"))


def ffn_hidden(dim, multiplier, multiple_of):
    h = int(2 * 4 * dim / 3)
    h = int(multiplier * h)
    return multiple_of * ((h + multiple_of - 1) // multiple_of)


def pad_ffn(args, weights):
    """Zero-pads w1/w3 rows and w2 columns to the hidden size the reference loader builds (multiple_of 256):
    silu(0) * 0 = 0, so the padded model computes what the golden one does."""
    want = ffn_hidden(args["dim"], args["ffn_dim_multiplier"], REFERENCE_MULTIPLE_OF)
    out = collections.OrderedDict()
    for name, w in weights.items():
        if name.endswith("feed_forward.w1.weight") or name.endswith("feed_forward.w3.weight"):
            w = np.concatenate([w, np.zeros((want - w.shape[0], w.shape[1]), np.float32)], axis=0)
        elif name.endswith("feed_forward.w2.weight"):
            w = np.concatenate([w, np.zeros((w.shape[0], want - w.shape[1]), np.float32)], axis=1)
        out[name] = w
    return out


def state_dict(weights, dtype):
    """An OrderedDict with _metadata, as nn.Module.state_dict() returns (pickled with a BUILD of that attribute)."""
    sd = collections.OrderedDict((k, torch.from_numpy(v).to(dtype).contiguous()) for k, v in weights.items())
    sd._metadata = collections.OrderedDict([("", {"version": 1})])
    return sd


def save_pth(path, weights, dtype):
    # a small optimizer section, as dcp_to_torch_save of a training checkpoint carries: read past, not used
    optim = {"param_groups": [{"lr": 1e-3, "betas": (0.9, 0.95), "params": list(weights)[:2]}],
             "state": {list(weights)[0]: {"step": torch.tensor(3.0)}}}
    torch.save({"model": state_dict(weights, dtype), "optim": optim}, path)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")


def entropy_section(eargs):
    """The entropy_model section as a training run writes it: the golden args (sliding_window 32, multiple_of 32...),
    of which the reference loader keeps ENTROPY_KEYS only."""
    sec = dict(eargs)
    sec["attn_impl"] = "xformers"
    return sec


def write_entropy(folder, eargs, eweights, dtype, model_dtype):
    os.makedirs(folder)
    write_json(os.path.join(folder, "params.json"),
               {"name": "entropy-fixture", "seed": 42, "train_entropy_model": True, "model": None,
                "entropy_model": entropy_section(eargs), "distributed": {"model_dtype": model_dtype}})
    save_pth(os.path.join(folder, "consolidated.pth"), pad_ffn(eargs, eweights), dtype)


def write_blt(folder, args, weights, eargs, eweights, dtype, model_dtype):
    os.makedirs(folder)
    patcher = {"patching_mode": args["patching_mode"], "threshold": args["patching_threshold"],
               "threshold_add": args["patching_threshold_add"], "max_patch_length": args["max_patch_length"],
               "patch_size": args["patch_size"], "monotonicity": args["monotonicity"],
               "entropy_model_checkpoint_dir": "entropy_model", "realtime_patching": True}
    write_json(os.path.join(folder, "params.json"),
               {"name": "blt-fixture", "seed": 42, "train_entropy_model": False, "model": args,
                "entropy_model": entropy_section(eargs), "distributed": {"model_dtype": model_dtype},
                "data": {"patcher_args": patcher}})
    save_pth(os.path.join(folder, "consolidated.pth"), weights, dtype)
    write_entropy(os.path.join(folder, "entropy_model"), eargs, eweights, dtype, model_dtype)


def write_malicious(folder, pickle_bytes):
    """A torch.save-shaped zip whose data.pkl is hand-written opcodes: nothing here is ever unpickled by Python."""
    os.makedirs(folder)
    write_json(os.path.join(folder, "params.json"), {"train_entropy_model": True, "entropy_model":
               {"dim": 64, "n_layers": 2, "n_heads": 4, "max_seqlen": 512, "ffn_dim_multiplier": 1.0, "vocab_size": 260}})
    with zipfile.ZipFile(os.path.join(folder, "consolidated.pth"), "w", zipfile.ZIP_STORED) as z:
        for name, data in (("consolidated/data.pkl", pickle_bytes), ("consolidated/version", b"3\n")):
            z.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data)  # fixed time: same bytes each run


def unicode4(s):
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b  # SHORT_BINUNICODE


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    args, weights = golden(BLT_CASE)
    eargs, eweights = golden(ENTROPY_CASE)
    for dtype, name in ((torch.float32, "fp32"), (torch.bfloat16, "bf16")):
        write_blt(os.path.join(OUT, "blt-" + name), args, weights, eargs, eweights, dtype, name)
    # protocol 2: GLOBAL 'os system', then a REDUCE that must never happen
    write_malicious(os.path.join(OUT, "malicious-global"),
                    b"\x80\x02}" + unicode4("model") + b"cos\nsystem\n" + unicode4("echo pwned") + b"\x85Rs.")
    # protocol 4: STACK_GLOBAL builtins.eval inside an otherwise plain dict
    write_malicious(os.path.join(OUT, "malicious-stack-global"),
                    b"\x80\x04}" + unicode4("model") + unicode4("builtins") + unicode4("eval") + b"\x93"
                    + unicode4("1+1") + b"\x85Rs.")
    os.makedirs(os.path.join(OUT, "odd"))
    torch.save({"model": {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3).t()}},
               os.path.join(OUT, "odd", "transposed.pth"))
    torch.save({"model": {"w": torch.zeros(2, dtype=torch.float64)}}, os.path.join(OUT, "odd", "float64.pth"))
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {OUT}: {total:,} bytes (torch {torch.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()
