"""Starting specs for ``cnnshape init``: commented YAML a learner edits, each valid as written.

Each template says what its numbers are, so the first ``cnnshape table`` run can be
checked by hand (tests/test_templates.py does, and against the zoo's own specs).
"""

from __future__ import annotations

LENET = """\
# LeNet-5 as the course draws it: CONV-POOL-CONV-POOL-FC-FC-softmax on a 32x32 RGB image.
# Run: cnnshape table my.yaml   (the same numbers as `cnnshape table lenet`)
name: LeNet-5 (my copy)
input: [32, 32, 3]            # height, width, channels (channels last)
layers:
  # (5*5*3 + 1) * 8 = 608 parameters: each filter sees all 3 input channels
  - {type: conv, name: CONV1, filters: 8, kernel: 5, stride: 1, activation: relu}
  - {type: pool, name: POOL1, mode: max, kernel: 2, stride: 2}    # 28x28 -> 14x14, no weights
  # (5*5*8 + 1) * 16 = 3,216
  - {type: conv, name: CONV2, filters: 16, kernel: 5, stride: 1, activation: relu}
  - {type: pool, name: POOL2, mode: max, kernel: 2, stride: 2}    # 10x10 -> 5x5
  - {type: flatten}                                               # 5*5*16 = 400 values
  - {type: dense, name: FC3, units: 120, activation: relu}        # 400*120 + 120 = 48,120
  - {type: dense, name: FC4, units: 84, activation: relu}         # 120*84 + 84 = 10,164
  - {type: dense, name: Softmax, units: 10, activation: softmax}  # 84*10 + 10 = 850
"""

RESNET_BLOCK = """\
# One ResNet basic block (ResNet-18/34) on a 56x56x64 feature map, as torchvision builds it.
# Run: cnnshape table my.yaml
name: ResNet basic block
input: [56, 56, 64]
layers:
  - type: residual                # body(x) + x, then relu
    name: block
    activation: relu
    body:
      # 3*3*64*64 = 36,864 weights each (no bias: the batch norm has the offset)
      - {type: conv, name: conv1, filters: 64, kernel: 3, padding: 1, bias: false}
      - {type: batchnorm, name: bn1}        # 64 scales + 64 offsets, 128 running statistics
      - {type: activation, name: relu1, function: relu}
      - {type: conv, name: conv2, filters: 64, kernel: 3, padding: 1, bias: false}
      - {type: batchnorm, name: bn2}
    # shortcut: []                # the identity; a 1x1 conv here when the shape changes
"""

UNET = """\
# A small U-Net: two levels down, two up, skips concatenated on channels.
# Run: cnnshape table my.yaml   (cnnshape draw my.yaml -o unet.svg draws the skips)
name: small U-Net
input: [64, 64, 1]
layers:
  - {type: conv, name: enc1, filters: 16, kernel: 3, padding: 1, activation: relu}
  - {type: pool, name: down1, kernel: 2}                                  # 64 -> 32
  - {type: conv, name: enc2, filters: 32, kernel: 3, padding: 1, activation: relu}
  - {type: pool, name: down2, kernel: 2}                                  # 32 -> 16
  - {type: conv, name: bottom, filters: 64, kernel: 3, padding: 1, activation: relu}
  - {type: conv_transpose, name: up2, filters: 32, kernel: 2, stride: 2}  # 16 -> 32
  - {type: merge, name: skip2, mode: concat, inputs: [up2, enc2]}         # 32 + 32 channels
  - {type: conv, name: dec2, filters: 32, kernel: 3, padding: 1, activation: relu}
  - {type: conv_transpose, name: up1, filters: 16, kernel: 2, stride: 2}  # 32 -> 64
  - {type: merge, name: skip1, mode: concat, inputs: [up1, enc1]}
  - {type: conv, name: dec1, filters: 16, kernel: 3, padding: 1, activation: relu}
  - {type: conv, name: mask, filters: 2, kernel: 1}                       # 2 classes per pixel
"""

TEMPLATES: dict[str, str] = {"lenet": LENET, "resnet-block": RESNET_BLOCK, "unet": UNET}
"""Name -> the template's text, in the order ``cnnshape init --help`` lists them."""
