"""The synthetic province: a deterministic world with known violations (docs/generator.md)."""

from bench.generator.generate import Config, generate
from bench.generator.world import DEFAULT_RATES, LEVEL, RATE_UNITS, RULES, TIER_A

# Bump when the generated data changes for a given configuration (benchmark caches key on it).
GENERATOR_VERSION = 3

__all__ = ["GENERATOR_VERSION", "DEFAULT_RATES", "LEVEL", "RATE_UNITS", "RULES", "TIER_A", "Config", "generate"]
