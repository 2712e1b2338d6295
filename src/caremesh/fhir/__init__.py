"""A FHIR R4 engine: REST semantics, storage and search indexing, driven by the spec's own definitions.

It is a library, like the kernel: any module can mount it for the resource types it owns (the
clinical module mounts it for every type at ``/fhir/R4``). It imports the kernel, never a module.
"""
