"""The synthetic province: a deterministic world with known violations (docs/generator.md)."""

from bench.generator.generate import Config, generate
from bench.generator.world import DEFAULT_RATES, LEVEL, RATE_UNITS, RULES, TIER_A

__all__ = ["DEFAULT_RATES", "LEVEL", "RATE_UNITS", "RULES", "TIER_A", "Config", "generate"]
