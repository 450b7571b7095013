"""The graph's steps, one module per sub-flow. Each step is a node: it reads the turn's state and returns a
partial update, or a `Command` naming where the turn goes next. Deciding steps are plain functions (they cannot
await, so they cannot reach Open Dental); reading and writing steps are coroutines that use the office port.
`flows.graph` registers them and is the only place that wires edges.
"""

from __future__ import annotations

from typing import Final

END: Final = "__end__"
"""LangGraph's `END`, typed as the literal it is: `langgraph.graph.END` is a plain `str` (`sys.intern`), which a
step's `Command[Literal[..., "__end__"]]` cannot take. tests/flows/test_graph.py checks the two are equal."""
