"""The OpenADR 3.1.0 VTN's protocol interface, mounted at /openadr3/ (docs/openadr.md); the contract
it is tested against is spec/openadr3.yaml (OpenADR Alliance, Apache-2.0: spec/LICENSE, spec/NOTICE)."""
