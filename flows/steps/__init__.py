"""The graph's steps, one module per sub-flow. Each step is a node: it reads the turn's state and returns a
partial update, or a `Command` naming where the turn goes next. Deciding steps are plain functions (they cannot
await, so they cannot reach Open Dental); reading and writing steps are coroutines that use the office port.
`flows.graph` registers them and is the only place that wires edges.
"""
