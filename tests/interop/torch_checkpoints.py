# Debian's torch and numpy as independent writers and readers of checkpoints:
#  - files torch and numpy write are read by `oclip inspect --hash` with the same names,
#    dtypes, shapes and per-tensor sha256;
#  - files oclip writes load with torch.load(weights_only=True) and hold the same bits;
#  - oclip's safetensors output obeys the spec, checked by a reader written here from it;
#  - f32 -> f16/bf16 casts give exactly torch's bits;
#  - hostile files are refused with exit 8 and nothing they ask for is executed.
#  - oclip convert takes open_clip training checkpoints and refuses partial or unsupported ones.
# usage: /usr/bin/python3 torch_checkpoints.py OCLIP CHECKPOINT_TOOL GOLDEN_DIR
import collections
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import zipfile

import numpy as np
import torch

OCLIP, TOOL, GOLDEN = sys.argv[1], sys.argv[2], sys.argv[3]
WORK = tempfile.mkdtemp(prefix="oclip-torch-")
OCLIP_DTYPES = {
    torch.float32: "f32", torch.float16: "f16", torch.bfloat16: "bf16", torch.float64: "f64",
    torch.int64: "i64", torch.int32: "i32", torch.int16: "i16", torch.int8: "i8", torch.uint8: "u8",
    torch.bool: "bool",
}


def path(name):
    return os.path.join(WORK, name)


def tensor_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def expected(state_dict):
    return {k: (OCLIP_DTYPES[v.dtype], list(v.shape), hashlib.sha256(tensor_bytes(v)).hexdigest())
            for k, v in state_dict.items()}


def inspect(file, expect_ok=True):
    run = subprocess.run([OCLIP, "inspect", "--json", "--hash", file], capture_output=True, text=True)
    if expect_ok:
        assert run.returncode == 0, run.stdout + run.stderr
        return json.loads(run.stdout)
    return run


def seen(report):
    return {t["name"]: (t["dtype"], t["shape"], t["sha256"]) for t in report["tensors"]}


def sample_state_dict():
    g = torch.Generator().manual_seed(0)
    base = torch.randn(6, 4, generator=g)
    sd = collections.OrderedDict()
    sd["w.f32"] = torch.randn(3, 5, generator=g)
    sd["w.f16"] = torch.randn(7, generator=g).half()
    sd["w.bf16"] = torch.randn(2, 3, generator=g).bfloat16()
    sd["w.f64"] = torch.randn(4, generator=g).double()
    sd["scalar"] = torch.tensor(2.5)
    sd["count"] = torch.tensor(7, dtype=torch.int64)
    sd["i32"] = torch.arange(5, dtype=torch.int32)
    sd["i16"] = torch.arange(3, dtype=torch.int16)
    sd["i8"] = torch.arange(-2, 2, dtype=torch.int8)
    sd["u8"] = torch.arange(4, dtype=torch.uint8)
    sd["mask"] = torch.tensor([True, False, True])
    sd["empty"] = torch.zeros(0, 3)
    sd["transposed"] = base.t()        # non-contiguous strides into a shared storage
    sd["rows"] = base[2:5]             # an offset view of the same storage
    sd["tied"] = sd["w.f32"]           # the same tensor twice
    return sd


class TorchWritesOclipReads(unittest.TestCase):
    def check(self, file, sd, **report_fields):
        report = inspect(file)
        self.assertEqual(seen(report), expected(sd))
        self.assertEqual([t["name"] for t in report["tensors"]], list(sd.keys()))
        for key, value in report_fields.items():
            self.assertEqual(report[key], value, key)
        return report

    def test_zip_format(self):
        sd = sample_state_dict()
        torch.save(sd, path("zip.pt"))
        self.check(path("zip.pt"), sd, format="torch-zip", archive="zip")

    def test_legacy_format(self):
        sd = sample_state_dict()
        torch.save(sd, path("legacy.pt"), _use_new_zipfile_serialization=False)
        self.check(path("legacy.pt"), sd, format="torch-legacy")

    def test_pickle_protocol_4(self):
        sd = sample_state_dict()
        torch.save(sd, path("p4.pt"), pickle_protocol=4)
        self.check(path("p4.pt"), sd, format="torch-zip")

    def test_parameters_kept_as_vars(self):
        model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.LayerNorm(2))
        sd = model.state_dict(keep_vars=True)
        torch.save(sd, path("params.pt"))
        self.check(path("params.pt"), sd)

    def test_training_checkpoint_with_optimizer_state(self):
        model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.2)
        model(torch.randn(5, 4)).sum().backward()
        optimizer.step()
        checkpoint = {
            "epoch": 3,
            "name": "2026_run",
            "state_dict": {"module." + k: v for k, v in model.state_dict().items()},
            "optimizer": optimizer.state_dict(),
            "scaler": {"scale": 65536.0, "growth_factor": 2.0, "_growth_tracker": 0},
        }
        torch.save(checkpoint, path("epoch_3.pt"))
        report = self.check(path("epoch_3.pt"), model.state_dict(), wrapper="state_dict", stripped_prefix="module.")
        self.assertTrue(any("optimizer" in note for note in report["notes"]), report["notes"])

    def test_timm_model_wrapper(self):
        sd = {"a": torch.ones(2), "b": torch.zeros(1, dtype=torch.float16)}
        torch.save({"model": sd, "epoch": 1}, path("timm.pth"))
        self.check(path("timm.pth"), sd, wrapper="model")

    def test_numpy_arrays(self):
        a = np.arange(12, dtype=np.float32).reshape(3, 4)
        arrays = {
            "be": a.astype(">f4"), "fortran": np.asfortranarray(a), "f16": a.astype(np.float16),
            "i64": np.arange(5, dtype=np.int64), "bool": np.array([True, False]), "scalar": np.array(3.0),
        }
        np.savez(path("stored.npz"), **arrays)
        np.savez_compressed(path("deflated.npz"), **arrays)
        for name in ("stored.npz", "deflated.npz"):
            report = inspect(path(name))
            self.assertEqual(report["format"], "npz")
            got = seen(report)
            for key, value in arrays.items():
                little = np.ascontiguousarray(value).astype(value.dtype.newbyteorder("<"))
                self.assertEqual(got[key][1], list(value.shape), key)
                self.assertEqual(got[key][2], hashlib.sha256(little.tobytes()).hexdigest(), key)
        for version in [(1, 0), (2, 0), (3, 0)]:
            with open(path("v.npy"), "wb") as f:
                np.lib.format.write_array(f, a, version=version)
            report = inspect(path("v.npy"))
            self.assertEqual(report["tensors"][0]["sha256"], hashlib.sha256(a.tobytes()).hexdigest(), version)


class Scripted(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 2)
        self.norm = torch.nn.LayerNorm(2).half()
        self.register_buffer("steps", torch.tensor(5))
        self.mask = torch.ones(2)  # a plain attribute: pickled in data.pkl, not in state_dict()

    def forward(self, x):
        return self.lin(x) * self.mask


class TorchScriptArchives(unittest.TestCase):
    def test_state_dict_equals_torch_jit_load(self):
        for kind in ("script", "trace"):
            module = Scripted()
            program = torch.jit.script(module) if kind == "script" else torch.jit.trace(module, torch.ones(1, 3))
            torch.jit.save(program, path(f"{kind}.pt"))
            want = torch.jit.load(path(f"{kind}.pt")).state_dict()
            report = inspect(path(f"{kind}.pt"))
            self.assertEqual(report["format"], "torchscript")
            self.assertEqual([t["name"] for t in report["tensors"]], list(want.keys()), kind)
            self.assertEqual(seen(report), expected(want), kind)
            if kind == "script":
                self.assertTrue(any("dropped 1" in note for note in report["notes"]), report["notes"])


class OclipWritesTorchReads(unittest.TestCase):
    def rewrite(self, source, out, dtype=None):
        args = [TOOL, "rewrite", source, out] + (["--dtype", dtype] if dtype else [])
        run = subprocess.run(args, capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)

    def test_bin_loads_with_weights_only_and_round_trips_bit_exactly(self):
        sd = sample_state_dict()
        torch.save(sd, path("source.pt"))
        self.rewrite(path("source.pt"), path("open_clip_pytorch_model.bin"))
        loaded = torch.load(path("open_clip_pytorch_model.bin"), weights_only=True)
        self.assertEqual(list(loaded.keys()), list(sd.keys()))
        for k, v in sd.items():
            self.assertEqual(loaded[k].dtype, v.dtype, k)
            self.assertEqual(tensor_bytes(loaded[k]), tensor_bytes(v), k)
            self.assertTrue(loaded[k].is_contiguous(), k)
        with zipfile.ZipFile(path("open_clip_pytorch_model.bin")) as z:
            self.assertIsNone(z.testzip())
            self.assertEqual(z.namelist()[0], "open_clip_pytorch_model/data.pkl")

    def test_safetensors_obeys_the_spec(self):
        sd = sample_state_dict()
        del sd["tied"]
        torch.save(sd, path("source2.pt"))
        self.rewrite(path("source2.pt"), path("model.safetensors"))
        with open(path("model.safetensors"), "rb") as f:
            data = f.read()
        (n,) = struct.unpack("<Q", data[:8])
        self.assertEqual(n % 8, 0)
        text = data[8:8 + n].decode("utf-8")
        self.assertTrue(text.startswith("{"))
        self.assertEqual(text, text.rstrip(" ") + " " * (len(text) - len(text.rstrip(" "))))
        header = json.loads(text, object_pairs_hook=collections.OrderedDict)
        self.assertEqual(header.pop("__metadata__"), {"format": "pt"})
        rank = ["I64", "F64", "F32", "I32", "BF16", "F16", "I16", "I8", "U8", "BOOL"]
        names = list(header.keys())
        self.assertEqual(names, sorted(names, key=lambda k: (rank.index(header[k]["dtype"]), k.encode())))
        end = 0
        buffer = data[8 + n:]
        for name in names:
            begin, stop = header[name]["data_offsets"]
            self.assertEqual(begin, end, name)
            self.assertEqual(list(sd[name].shape), header[name]["shape"])
            self.assertEqual(buffer[begin:stop], tensor_bytes(sd[name]), name)
            end = stop
        self.assertEqual(end, len(buffer))

    def test_casts_match_torch_bit_for_bit(self):
        g = torch.Generator().manual_seed(1)
        bits = torch.randint(-2**31, 2**31 - 1, (1 << 20,), generator=g, dtype=torch.int64).to(torch.int32)
        special = torch.tensor([0.0, -0.0, 1.0 + 2**-11, 1.0 + 3 * 2**-11, 65504.0, 65519.99, 65520.0, 1e-8,
                                2**-25, 3 * 2**-25, 2**-14, float("inf"), float("-inf"), float("nan"),
                                1.0 + 2**-8, 1.0 + 3 * 2**-8, 3.4e38], dtype=torch.float32)
        values = torch.cat([bits.view(torch.float32), special, torch.randn(10000, generator=g) * 1e-5])
        torch.save({"x": values, "d": values.double()}, path("floats.pt"))
        for dtype, target in (("f16", torch.float16), ("bf16", torch.bfloat16)):
            self.rewrite(path("floats.pt"), path(f"floats_{dtype}.bin"), dtype)
            loaded = torch.load(path(f"floats_{dtype}.bin"), weights_only=True)
            for key in ("x", "d"):
                want = torch.load(path("floats.pt"))[key].to(target)
                # torch's own bf16 NaN differs between its vector (0xFFFF) and scalar (0x7FC0)
                # paths; oclip writes 0x7FC0. NaN stays NaN; every other value is bit-exact.
                nan = want.isnan()
                self.assertTrue(torch.equal(loaded[key].isnan(), nan), f"{key} -> {dtype} NaN")
                self.assertEqual(tensor_bytes(loaded[key][~nan]), tensor_bytes(want[~nan]), f"{key} -> {dtype}")
            self.rewrite(path(f"floats_{dtype}.bin"), path(f"back_{dtype}.bin"), "f32")
            back = torch.load(path(f"back_{dtype}.bin"), weights_only=True)["x"]
            self.assertEqual(tensor_bytes(back), tensor_bytes(loaded["x"].float()), f"{dtype} -> f32")


def golden_native():
    case = os.path.join(GOLDEN, "cases", "clip-tiny-native")
    sd = torch.load(os.path.join(case, "source", "open_clip_pytorch_model.bin"))
    with open(os.path.join(case, "open_clip_config.json")) as f:
        model_cfg = json.load(f)["model_cfg"]
    os.makedirs(path("configs"), exist_ok=True)
    with open(path("configs/clip-tiny-native.json"), "w") as f:
        json.dump(model_cfg, f)
    with open(os.path.join(case, "target.json")) as f:
        target = {t["name"]: t["sha256"] for t in json.load(f)["tensors"]}
    return sd, target


def convert(*args):
    return subprocess.run([OCLIP, "--config-dir", path("configs"), "convert", *args], capture_output=True, text=True)


class ConvertTrainingCheckpoints(unittest.TestCase):
    def test_epoch_checkpoint_with_ddp_prefix_and_optimizer(self):
        sd, target = golden_native()
        params = [torch.nn.Parameter(v.clone()) for v in sd.values()]
        optimizer = torch.optim.AdamW(params, lr=1e-3)
        sum(p.sum() for p in params).backward()
        optimizer.step()
        torch.save({"epoch": 32, "name": "run", "state_dict": {"module." + k: v for k, v in sd.items()},
                    "optimizer": optimizer.state_dict()}, path("epoch_32.pt"))
        run = convert(path("epoch_32.pt"), "--model", "clip-tiny-native", "-o", path("run"), "--bin")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("no pretrained entry for clip-tiny-native", run.stderr)
        for name in ("open_clip_model.safetensors", "open_clip_pytorch_model.bin"):
            report = inspect(path("run/" + name))
            self.assertEqual({t["name"]: t["sha256"] for t in report["tensors"]}, target, name)
        loaded = torch.load(path("run/open_clip_pytorch_model.bin"), weights_only=True)
        for k, v in sd.items():
            self.assertTrue(torch.equal(loaded[k], v), k)
        with zipfile.ZipFile(path("run/open_clip_pytorch_model.bin")) as z:
            self.assertIsNone(z.testzip())  # CRCs of entries the kernel copied

    def test_tokenizer_files_travel_with_configs_that_name_a_tokenizer(self):
        sd, _ = golden_native()
        with open(path("configs/clip-tiny-native.json")) as f:
            cfg = json.load(f)
        cfg["text_cfg"]["hf_tokenizer_name"] = "org/tiny-tokenizer"
        with open(path("configs/tiny-hf-tok.json"), "w") as f:
            json.dump(cfg, f)
        torch.save(sd, path("tok.pt"))
        tokenizer = {"tokenizer.json": "{}", "tokenizer_config.json": '{"tokenizer_class": "T5Tokenizer"}',
                     "spiece.model": "sp"}
        os.makedirs(path("tokdir"), exist_ok=True)
        for name, text in list(tokenizer.items()) + [("model.safetensors", "weights"), ("config.json", "{}")]:
            with open(path("tokdir/" + name), "w") as f:
                f.write(text)
        run = convert(path("tok.pt"), "--model", "tiny-hf-tok", "-o", path("tok_a"), "--tokenizer-dir", path("tokdir"))
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(sorted(os.listdir(path("tok_a"))),
                         sorted(list(tokenizer) + ["open_clip_config.json", "open_clip_model.safetensors"]))
        # From the Hub cache, laid out as huggingface_hub lays it out.
        cache = path("hub-cache")
        snapshot = os.path.join(cache, "models--org--tiny-tokenizer", "snapshots", "c" * 40)
        os.makedirs(snapshot)
        os.makedirs(os.path.join(cache, "models--org--tiny-tokenizer", "refs"))
        with open(os.path.join(cache, "models--org--tiny-tokenizer", "refs", "main"), "w") as f:
            f.write("c" * 40)
        with open(os.path.join(snapshot, "tokenizer.json"), "w") as f:
            f.write("{}")
        run = subprocess.run([OCLIP, "--config-dir", path("configs"), "--cache-dir", cache, "convert", path("tok.pt"),
                              "--model", "tiny-hf-tok", "-o", path("tok_b")], capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("tokenizer.json", os.listdir(path("tok_b")))
        self.assertIn("names no tokenizer_class", run.stderr)
        # An old tokenizer_config.json without its class gets the one config.json's model_type implies.
        os.makedirs(path("oldtok"), exist_ok=True)
        for name, text in [("tokenizer_config.json", '{"model_max_length": 512}'), ("spiece.model", "sp"),
                           ("config.json", '{"model_type": "t5"}')]:
            with open(path("oldtok/" + name), "w") as f:
                f.write(text)
        run = convert(path("tok.pt"), "--model", "tiny-hf-tok", "-o", path("tok_d"), "--tokenizer-dir", path("oldtok"))
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("tokenizer_class T5Tokenizer written", run.stderr)
        with open(path("tok_d/tokenizer_config.json")) as f:
            self.assertEqual(json.load(f), {"model_max_length": 512, "tokenizer_class": "T5Tokenizer"})
        self.assertNotIn("config.json", os.listdir(path("tok_d")))
        run = subprocess.run([OCLIP, "--config-dir", path("configs"), "--cache-dir", path("empty-cache"), "convert",
                              path("tok.pt"), "--model", "tiny-hf-tok", "-o", path("tok_c")], capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("oclip pull hf-hub:org/tiny-tokenizer", run.stderr)

    def test_refusals(self):
        sd, _ = golden_native()
        partial = dict(sd)
        del partial["visual.ln_post.bias"]
        partial["visual.extra"] = torch.zeros(1)
        torch.save(partial, path("partial.pt"))
        run = convert(path("partial.pt"), "--model", "clip-tiny-native", "-o", path("p"))
        self.assertEqual(run.returncode, 8, run.stderr)
        self.assertIn("unexpected 'visual.extra'", run.stderr)
        self.assertIn("missing 'visual.ln_post.bias'", run.stderr)
        self.assertFalse(os.path.exists(path("p")))

        run = convert(path("partial.pt"), "-o", path("p"))
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertIn("--model", run.stderr)

        torch.save(sd, path("native.pt"))
        run = convert(path("native.pt"), "--model", "ViT-B-32", "-o", path("p"))
        self.assertEqual(run.returncode, 8, run.stderr)
        self.assertIn("needs [", run.stderr)

        torch.save({"image_encoder.model.patch_embed.0.rbr_conv.0.conv.weight": torch.zeros(64, 3, 3, 3),
                    "image_encoder.model.network.0.0.reparam_conv.weight": torch.zeros(1)}, path("reparam.pt"))
        run = convert(path("reparam.pt"), "-o", path("p"))
        self.assertEqual(run.returncode, 10, run.stderr)
        self.assertIn("reparameterized", run.stderr)

        s0 = {"image_encoder.model.patch_embed.0.rbr_conv.0.conv.weight": torch.zeros(64, 3, 3, 3)}
        for k, blocks in enumerate([2, 0, 6, 0, 10, 0, 0, 2]):
            for b in range(blocks):
                s0[f"image_encoder.model.network.{k}.{b}.layer_scale"] = torch.zeros(1)
        torch.save(s0, path("s0.pt"))
        run = convert(path("s0.pt"), "-o", path("p"))
        self.assertEqual(run.returncode, 10, run.stderr)
        self.assertIn("MobileCLIP-S0", run.stderr)

        torch.save({"encoder.weight": torch.zeros(2)}, path("unknown.pt"))
        run = convert(path("unknown.pt"), "-o", path("p"))
        self.assertEqual(run.returncode, 8, run.stderr)
        self.assertIn("matches no family", run.stderr)
        self.assertFalse(os.path.exists(path("p")))


class Evil:
    def __reduce__(self):
        return (os.system, ("touch " + path("PWNED"),))


class HostileFilesAreRefused(unittest.TestCase):
    def refused(self, file, message):
        run = inspect(file, expect_ok=False)
        self.assertEqual(run.returncode, 8, run.stdout + run.stderr)
        self.assertIn(message, run.stdout)  # with --json the error is a JSON object on stdout
        self.assertFalse(os.path.exists(path("PWNED")))

    def test_reduce_to_os_system(self):
        torch.save({"w": torch.ones(1), "evil": Evil()}, path("evil.pt"))
        self.refused(path("evil.pt"), "'posix.system' is not allowed")
        torch.save({"w": torch.ones(1), "evil": Evil()}, path("evil_legacy.pt"), _use_new_zipfile_serialization=False)
        self.refused(path("evil_legacy.pt"), "'posix.system' is not allowed")

    def test_whole_module_pickled(self):
        torch.save(torch.nn.Linear(2, 2), path("module.pt"))
        self.refused(path("module.pt"), "'torch.nn.modules.linear.Linear' is not allowed")

    def test_numpy_object_array(self):
        np.save(path("objects.npy"), np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
        self.refused(path("objects.npy"), "object arrays")


if __name__ == "__main__":
    try:
        unittest.main(argv=sys.argv[:1], verbosity=1)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
