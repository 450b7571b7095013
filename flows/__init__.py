"""The conversation: the LangGraph turn function, conversation state, understanding and replies.

It depends on `od_adapter` through ports and knows nothing of aiohttp or Redis (see DESIGN.md).
"""
