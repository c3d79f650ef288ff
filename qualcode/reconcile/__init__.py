"""Reconcile two coders' codings into a consensus (moved into the package: see its modules)."""

from qualcode.reconcile.decisions import *  # noqa: F403
