"""Batch intake (信息归集): hotline work orders and department lists read from files into events."""
