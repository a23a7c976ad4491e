"""Classical image analysis for reconstructing simple scenes of primitives on a ground plane.

The public API of the `vision_*` modules, in the order the offline proposer uses it::

    seg = segment_objects(image)                      # background, ground, shadows, objects
    horizon = estimate_horizon(image, seg)            # Horizon | None
    for region in seg.objects:
        ranking = classify_silhouette(region.mask)    # [(kind, confidence), ...]
    light = estimate_light(image, seg)                # sun direction (camera frame), levels
    color = estimate_base_color(image, region, light.illumination)   # linear RGB
    roughness, metallic = estimate_specular(image, region)

Conventions: images are anything `scenelang.stages.metrics.load_image` accepts (sRGB, 0..1
floats after loading); pixel positions are (row, col) in pixel-index units (row 0 at the top);
masks are bool (H, W); colours out of the estimators are linear RGB; 3D directions are in the
camera frame (x right, y up, z towards the viewer). Everything is deterministic: no random
numbers, no learned weights. Modules: `vision_segment` (segmentation, horizon),
`vision_shape` (silhouette classification), `vision_light` (colours, highlights, light).

Known limits: an object whose colour is close to the ground's can lose its shaded side to the
shadow model (and vice versa for a shadow tinted by light bounced off a coloured object);
objects of the same colour that overlap in the image stay one region; the classifier assumes
upright primitives seen from above the ground (tilted ones fall back to the nearest template).
"""

from scenelang.stages.vision.light import (
    DEFAULT_GROUND_ALBEDO,
    DEFAULT_PITCH_DEG,
    LightEstimate,
    estimate_base_color,
    estimate_light,
    estimate_specular,
)
from scenelang.stages.vision.segment import (
    Horizon,
    Region,
    Segmentation,
    SegmentationParams,
    estimate_horizon,
    linear_to_srgb,
    luminance,
    segment_objects,
    srgb_to_linear,
)
from scenelang.stages.vision.shape import (
    KINDS,
    ShapeDescriptors,
    classify_silhouette,
    silhouette_descriptors,
)

__all__ = [
    "DEFAULT_GROUND_ALBEDO",
    "DEFAULT_PITCH_DEG",
    "KINDS",
    "Horizon",
    "LightEstimate",
    "Region",
    "Segmentation",
    "SegmentationParams",
    "ShapeDescriptors",
    "classify_silhouette",
    "estimate_base_color",
    "estimate_horizon",
    "estimate_light",
    "estimate_specular",
    "linear_to_srgb",
    "luminance",
    "segment_objects",
    "silhouette_descriptors",
    "srgb_to_linear",
]
