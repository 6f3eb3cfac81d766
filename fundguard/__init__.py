"""Fundguard: supervision of a province's medical-insurance fund.

This package holds the generated contracts (``fundguard.<service>.v1``), the shared
runtime for plumbing (``fundguard.runtime``) and the ``fundguard`` command line.
"""
