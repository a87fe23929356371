"""Conformance between the Quint spec and the core: ITF trace decoding, the driver that maps spec
actions to ``zabkeeper.core`` inputs, the state projection, and replay reports."""
