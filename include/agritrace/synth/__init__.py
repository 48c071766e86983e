"""Realistic synthetic feeds: the calibrated Maonan 2023 demo set and large benchmark sets."""

from agritrace.synth.demo import generate_demo
from agritrace.synth.scale import generate_scale
from agritrace.synth.summary import DEFECT_KINDS, GenerationSummary, InjectedDefect
from agritrace.synth.uscc import check_character, is_valid_credit_code

__all__ = [
    "DEFECT_KINDS",
    "GenerationSummary",
    "InjectedDefect",
    "check_character",
    "generate_demo",
    "generate_scale",
    "is_valid_credit_code",
]
