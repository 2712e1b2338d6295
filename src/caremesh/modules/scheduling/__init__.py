"""Scheduling: practitioners' schedules, bookable slots and patients' appointments.

HTTP API (bearer token required on every route):

* ``POST /v1/schedules`` (optional Idempotency-Key), ``GET /v1/schedules``, ``GET /v1/schedules/{id}``,
  ``POST /v1/schedules/{id}/activate|deactivate``;
* ``POST /v1/schedules/{id}/slots`` generates free slots from availability (dates, ISO weekdays, local
  working-hours windows, slot length), skipping any that would overlap an existing slot;
* ``GET /v1/slots?schedule_id=&start=&end=&status=&limit=&cursor=``, ``GET /v1/slots/{id}``,
  ``POST /v1/slots/{id}/block|unblock``;
* ``POST /v1/appointments`` (Idempotency-Key required), ``GET /v1/appointments/{id}``,
  ``GET /v1/appointments?patient_id=|schedule_id=&status=``, ``POST /v1/appointments/{id}/cancel``
  (optional Idempotency-Key), ``POST /v1/appointments/{id}/outcome`` (fulfilled or noshow).

Double booking is excluded by the database: booking turns the slot busy with a conditional UPDATE,
and a unique partial index allows one appointment that is not cancelled per slot.
"""
