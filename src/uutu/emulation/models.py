"""Year-end emulation (thi đua): criteria with weights, scores and ranking."""
