"""cds: clinical decision support for medication safety.

Checks draft medication orders against the patient's active medications and allergies:
drug-drug interactions (the ONC high-priority list and other major interactions), drug-allergy
and cross-sensitivity, duplicate therapy and maximum daily dose, from versioned knowledge files
shipped in ``adapters/knowledge`` (see docs/cds-knowledge.md).

* ``CdsAPI`` (contracts/cds.py): ``check_orders`` and ``record_override`` for order entry.
* CDS Hooks 2.0 (bearer token required): ``GET /cds-services``; ``POST /cds-services/
  medication-safety-select`` (order-select) and ``.../medication-safety-sign`` (order-sign) with
  prefetch; ``POST /cds-services/{id}/feedback``.
* ``GET /v1/cds/overrides/stats?since=``: override rate and reasons per rule.

Alert fatigue: severity tiers, suppression of an alert already shown in the encounter (never a
critical one at order-sign), and overrides stored with their reasons.
"""
