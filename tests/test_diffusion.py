"""The diffusion backend through the whole graph on the CPU, with tiny randomly initialised
pipelines built from configs (a Stable Diffusion, AnimateDiff and Wan 2.x), saved to a folder
and loaded back by the same `from_pretrained` path real models use; and its fallbacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graph import Context, build_graph, open_checkpointer
from tests.conftest import ffprobe, turn
from tools import diffusion

torch = pytest.importorskip("torch")


def _clip_tokenizer(folder: Path) -> Any:
    from transformers import CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1, "!": 2}
    for c in "abcdefghijklmnopqrstuvwxyz":
        vocab[c] = len(vocab)
        vocab[c + "</w>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=77)


def _tiny_sd(root: Path) -> Path:
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(4, 8),
        layers_per_block=1,
        sample_size=16,
        in_channels=4,
        out_channels=4,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=8,
        norm_num_groups=2,
        attention_head_dim=2,
    )
    vae = AutoencoderKL(
        block_out_channels=[4, 8],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 2,
        up_block_types=["UpDecoderBlock2D"] * 2,
        latent_channels=4,
        norm_num_groups=2,
        sample_size=32,
    )
    text = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=0,
            eos_token_id=1,
            hidden_size=8,
            intermediate_size=16,
            layer_norm_eps=1e-5,
            num_attention_heads=2,
            num_hidden_layers=1,
            pad_token_id=1,
            vocab_size=100,
        )
    )
    pipe = StableDiffusionPipeline(
        unet=unet,
        vae=vae,
        text_encoder=text,
        tokenizer=_clip_tokenizer(root / "tok"),
        scheduler=DDIMScheduler(),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(root / "sd")
    return root / "sd"


def _tiny_animatediff(root: Path, sd: Path) -> Path:
    from diffusers import AnimateDiffPipeline, DDIMScheduler, MotionAdapter, StableDiffusionPipeline

    base = StableDiffusionPipeline.from_pretrained(sd)
    torch.manual_seed(0)
    adapter = MotionAdapter(
        block_out_channels=(4, 8),
        motion_layers_per_block=1,
        motion_norm_num_groups=2,
        motion_num_attention_heads=2,
        motion_max_seq_length=32,
    )
    pipe = AnimateDiffPipeline(
        unet=base.unet,
        vae=base.vae,
        text_encoder=base.text_encoder,
        tokenizer=base.tokenizer,
        motion_adapter=adapter,
        scheduler=DDIMScheduler(beta_schedule="linear", clip_sample=False),
    )
    pipe.save_pretrained(root / "animatediff")
    return root / "animatediff"


def _tiny_wan(root: Path) -> Path:
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanPipeline,
        WanTransformer3DModel,
    )
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, T5Config, UMT5EncoderModel

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for word in "a the of bird birds flying over sea beach wave waves park spring girl runs sky".split():
        vocab[word] = len(vocab)
    model = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    model.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(
        tokenizer_object=model, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", model_max_length=64
    )
    torch.manual_seed(0)
    encoder = UMT5EncoderModel(
        T5Config(
            vocab_size=64,
            d_model=32,
            d_kv=8,
            d_ff=37,
            num_layers=1,
            num_heads=4,
            feed_forward_proj="gated-gelu",
            pad_token_id=0,
            eos_token_id=1,
        )
    )
    vae = AutoencoderKLWan(
        base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True]
    )
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=16,
        out_channels=16,
        text_dim=32,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
    )
    pipe = WanPipeline(
        tokenizer=tok,
        text_encoder=encoder,
        transformer=transformer,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
    )
    pipe.save_pretrained(root / "wan")
    return root / "wan"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-models")
    sd = _tiny_sd(root)
    return {"sd": sd, "animatediff": _tiny_animatediff(root, sd), "wan": _tiny_wan(root)}


@pytest.fixture
def studio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    for var in ("CINECHAT_T2I_MODEL", "CINECHAT_T2V_MODEL", "CINECHAT_I2V_MODEL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CINECHAT_DIFFUSION_STEPS", "2")
    monkeypatch.setenv("CINECHAT_DIFFUSION_WIDTH", "64")
    monkeypatch.setenv("CINECHAT_DIFFUSION_HEIGHT", "32")
    monkeypatch.setenv("CINECHAT_DIFFUSION_FRAMES", "9")
    graph = build_graph(open_checkpointer(tmp_path / "db.sqlite"))
    ctx = Context(data_dir=str(tmp_path / "media"), use_llm=False, resolution="720p")
    diffusion.load.cache_clear()

    def run(thread: str) -> dict[str, Any]:
        turn(graph, thread, "Make a 10 second video about birds flying over the sea", ctx)
        return turn(graph, thread, "go ahead", ctx)

    yield run
    getattr(diffusion.load, "cache_clear", lambda: None)()  # the OOM test swaps `load` until its undo


def _check_video(v: dict[str, Any]) -> None:
    info = ffprobe(v["render"]["path"])
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (1280, 720)
    assert abs(float(info["format"]["duration"]) - 10) < 0.1


@pytest.mark.parametrize(("kind", "name"), [("t2i", "sd"), ("t2v", "animatediff"), ("t2v", "wan")])
def test_tiny_pipelines_render_the_project(
    studio: Any, tiny: dict[str, Path], monkeypatch: pytest.MonkeyPatch, kind: str, name: str
) -> None:
    monkeypatch.setenv("CINECHAT_T2I_MODEL" if kind == "t2i" else "CINECHAT_T2V_MODEL", str(tiny[name]))
    v = studio(name)
    _check_video(v)
    backends = v["render"]["backends"]
    assert backends and all(b["backend"] == "diffusion" and b["kind"] == kind for b in backends)
    spec = v["plan"][0]["spec"]["diffusion"]
    assert spec["model"] == str(tiny[name]) and spec["steps"] == 2 and "sea" in spec["prompt"]


def test_missing_model_falls_back_to_the_animatic(
    studio: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CINECHAT_T2I_MODEL", str(tmp_path / "no-such-model"))
    v = studio("missing")
    _check_video(v)
    assert all(b.get("fallback") == "missing" for b in v["render"]["backends"])
    assert "animatic renderer made this shot" in v["reply"]


def test_out_of_memory_retries_smaller(
    studio: Any, tiny: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CINECHAT_T2V_MODEL", str(tiny["animatediff"]))
    real = diffusion.load(str(tiny["animatediff"]))
    sizes: list[tuple[int, int]] = []

    class Tight:
        """The real tiny pipeline on a device that runs out of memory above 32 px wide."""

        def __call__(self, **kwargs: Any) -> Any:
            sizes.append((kwargs["width"], kwargs["height"]))
            if kwargs["width"] > 32:
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
            return real(**kwargs)

    monkeypatch.setattr(diffusion, "load", lambda model: Tight())
    v = studio("oom")
    _check_video(v)
    assert (64, 32) in sizes and (32, 16) in sizes
    assert all("oom_retry" in b["notes"] for b in v["render"]["backends"])
    assert "out of memory" in v["reply"]
