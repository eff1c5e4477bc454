"""The BERT encoder both models run: the embedder, and the reader built on the same bundled MiniLM. Built from a
folder's `config.json` and `model.safetensors` with torch alone, and run over real tokens only.

transformers builds the same modules, but importing its model code (it imports torch.distributed and
torch._dynamo) took 1.9 s of the 3.7 s a fresh process needed to a first answer, and the forward pass was ours
already (`encode_real_tokens`). The parameter names are transformers' `BertModel`'s, so its weights and the
reader's trained tensors load as they are. Training (`bench/train_reader.py`) keeps transformers' `BertModel`, and
a test holds the two passes equal."""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

from .errors import ModelLoadError

# Attention runs row by row up to this many rows, and over the padded grid (masked) beyond: the reader's 8
# candidates of mixed lengths read 10% faster row by row; the index's batches of many similar rows, 7% faster
# on the grid (the court files' 1,544 sentences: 2.81 against 3.0 s, bf16).
GRID_ROWS = 8

log = logging.getLogger(__name__)


def bert_config(folder: str | Path) -> dict | None:
    """A folder's `config.json` when it describes a BERT these modules can run, else None."""
    try:
        config = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (not isinstance(config, dict) or config.get("model_type") != "bert" or config.get("hidden_act", "gelu") != "gelu"
            or config.get("position_embedding_type", "absolute") != "absolute"):
        return None
    return config


def load_bert(folder: str | Path):
    """transformers' `BertModel` (embeddings, encoder layers, pooler) as plain torch modules with its weights, in
    eval mode: only `encode_real_tokens` runs it."""
    import torch
    from safetensors.torch import load_file

    nn = torch.nn
    folder = Path(folder)
    config = bert_config(folder)
    if config is None:
        raise ModelLoadError(f"{folder} holds no BERT model (config.json with model_type 'bert') to load.")
    hidden, inner, eps = config["hidden_size"], config["intermediate_size"], config.get("layer_norm_eps", 1e-12)

    def module(**children):
        parent = nn.Module()
        for name, child in children.items():
            parent.add_module(name, child)
        return parent

    def layer():
        return module(
            attention=module(self=module(query=nn.Linear(hidden, hidden), key=nn.Linear(hidden, hidden),
                                         value=nn.Linear(hidden, hidden)),
                             output=module(dense=nn.Linear(hidden, hidden), LayerNorm=nn.LayerNorm(hidden, eps=eps))),
            intermediate=module(dense=nn.Linear(hidden, inner)),
            output=module(dense=nn.Linear(inner, hidden), LayerNorm=nn.LayerNorm(hidden, eps=eps)))

    class Embeddings(nn.Module):
        def __init__(self):
            super().__init__()
            self.word_embeddings = nn.Embedding(config["vocab_size"], hidden, padding_idx=config.get("pad_token_id", 0))
            self.position_embeddings = nn.Embedding(config["max_position_embeddings"], hidden)
            self.token_type_embeddings = nn.Embedding(config.get("type_vocab_size", 2), hidden)
            self.LayerNorm = nn.LayerNorm(hidden, eps=eps)

        def forward(self, input_ids, token_type_ids):
            states = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
            states = states + self.position_embeddings(torch.arange(input_ids.shape[1]))[None]
            return self.LayerNorm(states)

    bert = module(embeddings=Embeddings(), encoder=module(layer=nn.ModuleList(
        [layer() for _ in range(config["num_hidden_layers"])])), pooler=module(dense=nn.Linear(hidden, hidden)))
    bert.config = SimpleNamespace(hidden_size=hidden, num_attention_heads=config["num_attention_heads"])
    try:
        weights = load_file(str(folder / "model.safetensors"))
    except Exception as exc:  # a missing file comes as FileNotFoundError, a damaged one as SafetensorError
        raise ModelLoadError(f"Could not read the weights of {folder}: {exc}") from exc
    expected = bert.state_dict()
    # Some saved BertModels name their tensors "bert.embeddings..."; the position ids are a constant.
    weights = {k.removeprefix("bert."): v for k, v in weights.items() if not k.endswith("position_ids")}
    missing = set(expected) - set(weights)
    if missing:
        raise ModelLoadError(f"{folder}/model.safetensors lacks {sorted(missing)[:3]}: not a BertModel's weights.")
    bert.load_state_dict({k: weights[k] for k in expected})
    return bert.eval()


class WordPieces:
    """A BERT folder's fast tokenizer (`tokenizer.json`) through the tokenizers library, which transformers' fast
    tokenizers wrap (importing transformers for it took 0.5 s of a fresh process). It neither pads nor cuts (the
    bundled file would pad and cut at 128 tokens): callers cut, and add [CLS] and [SEP] where they go."""

    def __init__(self, folder: str | Path):
        from tokenizers import Tokenizer

        try:
            self._tokenizer = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
        except Exception as exc:  # missing: an OSError-like Exception from Rust; damaged: a parse error
            raise ModelLoadError(f"Could not read the tokenizer of {folder}: {exc}") from exc
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self.cls_token_id = self._tokenizer.token_to_id("[CLS]")
        self.sep_token_id = self._tokenizer.token_to_id("[SEP]")
        if self.cls_token_id is None or self.sep_token_id is None:
            raise ModelLoadError(f"The tokenizer of {folder} has no [CLS] or [SEP]: not a BERT tokenizer.")

    def encode(self, texts: list[str]):
        """Each text's word pieces (`.ids`, and `.offsets`: character spans in the text), no special tokens."""
        return self._tokenizer.encode_batch(list(texts), add_special_tokens=False)

    def with_specials(self, texts: list[str], max_length: int) -> list[list[int]]:
        """`[CLS] text [SEP]` for each text, its pieces cut so that the whole is at most `max_length`."""
        return [[self.cls_token_id, *e.ids[:max_length - 2], self.sep_token_id] for e in self.encode(texts)]

    def decode(self, ids) -> str:
        return self._tokenizer.decode(list(ids))


def fuse_attention_inputs(bert) -> None:
    """Each layer's query, key and value matrices of a BERT encoder as one, `attention.self.qkv`: one multiply
    for `encode_real_tokens` instead of three."""
    import torch

    for layer in bert.encoder.layer:
        attention = layer.attention.self
        parts = [attention.query, attention.key, attention.value]
        fused = torch.nn.Linear(parts[0].in_features, 3 * parts[0].out_features)
        with torch.no_grad():
            fused.weight.copy_(torch.cat([p.weight for p in parts]))
            fused.bias.copy_(torch.cat([p.bias for p in parts]))
        attention.qkv = fused
        del attention.query, attention.key, attention.value


def encode_real_tokens(bert, input_ids, attention_mask, token_type_ids, token_bucket: int = 1):
    """A BERT encoder's forward pass (after `fuse_attention_inputs`) over the real tokens only: the final states
    of each row's tokens, row after row, and each row's token count.

    Rows of 20 and 96 tokens share a batch: padded, every matrix multiply would run over 8 x 96 positions. Here
    the matrix multiplies see the rows' real tokens stacked; attention runs row by row, where torch's fused
    kernel needs no mask, or for more than GRID_ROWS rows over the padded grid.
    `token_bucket` pads the stack with rows of zeros to a multiple of it, and they stay in what is returned:
    oneDNN builds a bf16 kernel for each new matrix shape it meets (about 20 ms a question on the court record on
    a CPU with AMX, where every question's token count was new), and a few shapes are soon all built. Matrix rows
    do not mix, so the padding changes no real token's state."""
    import torch

    F = torch.nn.functional
    rows, length = input_ids.shape
    lengths = attention_mask.sum(1).tolist()
    total = sum(lengths)
    padding = -total % token_bucket
    real = attention_mask.reshape(-1).nonzero().squeeze(1)
    states = bert.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)
    states = F.pad(states.reshape(rows * length, -1)[real], (0, 0, 0, padding))
    heads = bert.config.num_attention_heads
    keep = attention_mask.bool()[:, None, None, :]
    for layer in bert.encoder.layer:
        qkv = layer.attention.self.qkv(states)[:total]
        if rows > GRID_ROWS:
            grid = qkv.new_zeros(rows * length, qkv.shape[-1])
            grid[real] = qkv
            query, key, value = grid.view(rows, length, 3, heads, -1).permute(2, 0, 3, 1, 4)
            attended = F.scaled_dot_product_attention(query, key, value, attn_mask=keep)
            attended = attended.transpose(1, 2).reshape(rows * length, -1)[real]
        else:
            attended = torch.cat([F.scaled_dot_product_attention(*piece.view(1, len(piece), 3, heads, -1)
                                                                 .permute(2, 0, 3, 1, 4)).transpose(1, 2)
                                  .reshape(len(piece), -1) for piece in qkv.split(lengths)])
        output = layer.attention.output
        states = output.LayerNorm(output.dense(F.pad(attended, (0, 0, 0, padding))) + states)
        output = layer.output
        states = output.LayerNorm(output.dense(F.gelu(layer.intermediate.dense(states))) + states)
    return states, lengths


def pack_linear_weights(module) -> None:
    """Store the matrix weights in bfloat16 once, packed in oneDNN's blocked layout where this torch has it.

    Under bf16 autocast a matrix multiply casts its float32 weight on every call (the cast is cached only within
    one autocast region): for MiniLM, 11M numbers a forward pass. A bfloat16 weight still gets reordered into
    oneDNN's blocked layout on every call; packing it once took the seed record's p50 from 64.6-67.4 to 58.5-59.6 ms
    (README, Benchmarks). The products are the same: layer norms and embeddings stay in float32."""
    import torch

    from .settings import native_bf16

    if not native_bf16():
        log.warning("bf16 was asked for, but this CPU has no bfloat16 instructions: torch emulates them, about 6x "
                    "slower than fp32. The default precision, auto, takes fp32 here.")
    packed = _packed_linear_class()
    for parent in list(module.modules()):
        for name, layer in list(parent.named_children()):
            if type(layer) is torch.nn.Linear:
                setattr(parent, name, packed(layer) if packed else layer.to(torch.bfloat16))


@lru_cache(maxsize=1)
def _packed_linear_class():
    """A Linear over a prepacked bfloat16 weight (the op torch.compile's CPU backend uses), or None where this
    torch lacks the op or the CPU lacks bfloat16 arithmetic: then weights are only cast."""
    import torch

    class PackedLinear(torch.nn.Module):
        def __init__(self, linear: torch.nn.Linear):
            super().__init__()
            self.in_features, self.out_features = linear.in_features, linear.out_features
            weight = linear.weight.detach().to(torch.bfloat16)
            # The batch-size hint picks the layout only: any number of rows gives the same products.
            self.register_buffer("packed_weight", torch.ops.mkldnn._reorder_linear_weight(weight, 64))
            bias = None if linear.bias is None else linear.bias.detach().to(torch.bfloat16)
            self.register_buffer("bias", bias)

        def forward(self, x):
            rows = x.reshape(-1, self.in_features).to(torch.bfloat16)
            out = torch.ops.mkldnn._linear_pointwise(rows, self.packed_weight, self.bias, "none", [], "")
            return out.reshape(*x.shape[:-1], self.out_features)

    try:
        if not (torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()):
            return None
        probe = torch.nn.Linear(4, 3)
        expected = torch.nn.functional.linear(torch.ones(2, 4).bfloat16(), probe.weight.bfloat16(),
                                              probe.bias.bfloat16())
        if not torch.allclose(PackedLinear(probe)(torch.ones(2, 4)).float(), expected.float()):
            return None
    except (AttributeError, RuntimeError):
        return None
    return PackedLinear
