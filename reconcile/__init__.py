"""reconcile: GitOps for Omneo customer profiles."""

__version__ = "0.1.0"
