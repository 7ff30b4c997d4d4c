"""Saves a tiny random Qwen2.5-VL (model + processor) built offline from transformers' own classes.

    python tests/make_tiny_qwen.py OUT_DIR

A byte-level BPE vocabulary (no merges) plus Qwen's special tokens, and a chat template that places images the
way Qwen2.5-VL's does; small enough to serve on a CPU with `transformers serve`. Its replies are random tokens.
"""

import sys

import torch
from transformers import (Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, Qwen2_5_VLProcessor, Qwen2Tokenizer,
                          Qwen2VLImageProcessor, Qwen2VLVideoProcessor)
from transformers.convert_slow_tokenizer import bytes_to_unicode

CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' or part['type'] == 'image_url' or 'image' in part %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>",
           "<|video_pad|>"]

out = sys.argv[1]
vocab = {symbol: i for i, symbol in enumerate(bytes_to_unicode().values())}
for token in SPECIAL:
    vocab[token] = len(vocab)
tokenizer = Qwen2Tokenizer(vocab=vocab, merges=[], eos_token="<|im_end|>", pad_token="<|endoftext|>")
tokenizer.add_special_tokens({"additional_special_tokens": SPECIAL[1:]})
ids = {token: tokenizer.convert_tokens_to_ids(token) for token in SPECIAL}
torch.manual_seed(0)
config = Qwen2_5_VLConfig(
    text_config={"vocab_size": len(vocab), "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                 "num_attention_heads": 2, "num_key_value_heads": 1, "max_position_embeddings": 4096,
                 "rope_scaling": {"type": "mrope", "mrope_section": [2, 3, 3]}, "eos_token_id": ids["<|im_end|>"],
                 "pad_token_id": ids["<|endoftext|>"], "bos_token_id": ids["<|im_start|>"]},
    vision_config={"depth": 1, "hidden_size": 32, "intermediate_size": 64, "num_heads": 2, "out_hidden_size": 32,
                   "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2, "window_size": 56,
                   "fullatt_block_indexes": [0]},
    image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
    vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
)
model = Qwen2_5_VLForConditionalGeneration(config).eval()
model.generation_config.eos_token_id = ids["<|im_end|>"]
model.generation_config.pad_token_id = ids["<|endoftext|>"]
model.generation_config.max_new_tokens = 64
model.save_pretrained(out)
image_processor = Qwen2VLImageProcessor(min_pixels=28 * 28 * 4, max_pixels=28 * 28 * 16)
video_processor = Qwen2VLVideoProcessor(min_pixels=28 * 28 * 4, max_pixels=28 * 28 * 16)
processor = Qwen2_5_VLProcessor(image_processor=image_processor, tokenizer=tokenizer, video_processor=video_processor,
                                chat_template=CHAT_TEMPLATE)
processor.save_pretrained(out)
print(out)
