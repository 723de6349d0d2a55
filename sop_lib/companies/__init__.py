"""Synthetic companies, written as their systems would export them: the embedded demo
(`demo`), the demo scaled to thousands of SKUs (`scaled`), and a differently shaped
wholesaler (`wholesaler`). Only these modules may name the demo's products."""
