"""SkyReels V1 (HunyuanVideo fine-tune) text-to-video and image-to-video generation on diffusers.

Importing this package is cheap: torch and diffusers load only when a pipeline is built.
"""
