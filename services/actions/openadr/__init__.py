"""Writes of the OpenADR 3.1.0 VTN (docs/openadr.md): credentials, vens and resources, programs and
events on the demand-response domain (BL only), reports as VEN interval data, subscriptions and their
webhook notifications."""
