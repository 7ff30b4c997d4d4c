"""Another program: saves a tiny random SAM3 using only transformers' own classes (no segchat code).

    python tests/make_tiny_checkpoint.py OUT_DIR
"""

import json
import sys

import torch
from transformers import CLIPTokenizer, Sam3Config, Sam3ImageProcessor, Sam3Model, Sam3Processor
from transformers.convert_slow_tokenizer import bytes_to_unicode

out = sys.argv[1]
symbols = list(bytes_to_unicode().values())
vocab = {s: i for i, s in enumerate(symbols)}
vocab.update({s + "</w>": len(symbols) + i for i, s in enumerate(symbols)})
vocab["<|startoftext|>"] = len(vocab)
vocab["<|endoftext|>"] = len(vocab)
tokenizer = CLIPTokenizer(vocab=vocab, merges=[])
torch.manual_seed(1)
config = Sam3Config(
    vision_config={"backbone_config": {"model_type": "sam3_vit_model", "hidden_size": 32, "intermediate_size": 64,
                                       "num_hidden_layers": 2, "num_attention_heads": 2, "image_size": 112,
                                       "window_size": 4, "global_attn_indexes": [1], "pretrain_image_size": 112},
                   "fpn_hidden_size": 32, "backbone_feature_sizes": [[32, 32], [16, 16], [8, 8]]},
    text_config={"vocab_size": len(vocab), "hidden_size": 32, "intermediate_size": 64, "projection_dim": 32,
                 "num_hidden_layers": 1, "num_attention_heads": 2, "max_position_embeddings": 32,
                 "bos_token_id": len(vocab) - 2, "eos_token_id": len(vocab) - 1, "pad_token_id": len(vocab) - 1},
    geometry_encoder_config={"hidden_size": 32, "num_layers": 1, "num_attention_heads": 2, "intermediate_size": 64},
    detr_encoder_config={"hidden_size": 32, "num_layers": 1, "num_attention_heads": 2, "intermediate_size": 64},
    detr_decoder_config={"hidden_size": 32, "num_layers": 1, "num_queries": 8, "num_attention_heads": 2,
                         "intermediate_size": 64},
    mask_decoder_config={"hidden_size": 32, "num_attention_heads": 2},
)
Sam3Model(config).save_pretrained(out)
Sam3Processor(image_processor=Sam3ImageProcessor(size={"height": 112, "width": 112}, mask_size={"height": 32, "width": 32}),
              tokenizer=tokenizer).save_pretrained(out)
print(json.dumps({"saved": out}))
