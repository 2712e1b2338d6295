"""Business counters of the scheduling module (no identifiers in labels)."""

from __future__ import annotations

from caremesh.kernel.observability.metrics import business_counter

APPOINTMENTS_BOOKED = business_counter("scheduling_appointments_booked", "Appointments booked")
APPOINTMENTS_CANCELLED = business_counter("scheduling_appointments_cancelled", "Appointments cancelled")
APPOINTMENT_OUTCOMES = business_counter(
    "scheduling_appointment_outcomes", "Appointments marked fulfilled or no-show", ["outcome"]
)
BOOKING_CONFLICTS = business_counter(
    "scheduling_booking_conflicts", "Booking attempts refused because the slot was not free"
)
SLOTS_CREATED = business_counter("scheduling_slots_created", "Slots generated from availability")
