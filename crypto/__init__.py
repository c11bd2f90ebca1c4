"""Curves and keys, SOD/CMS, certificate paths, trust store, passive-authentication and AA/CA
verdicts."""
