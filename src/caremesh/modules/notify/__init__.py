"""notify: email / SMS / push delivery to patients, templates, retries and preferences.

* Preferences (``/v1/notify/recipients/{patient_id}``): notify owns each patient's contact points,
  enabled channels, opted-out categories and time zone.
* Consumers of scheduling's AppointmentBooked / AppointmentCancelled only queue notifications in
  the consumer's transaction (confirmation now, reminder 24 h before the start; cancellation notice,
  pending reminder withdrawn).
* Two workers deliver: ``notify.delivery`` (messages) and ``notify.reminders`` (reminders, which
  first ask scheduling whether the appointment is still booked and are postponed when it cannot
  answer). Transient failures retry with exponential backoff and jitter; permanent ones fail. Each
  final outcome publishes NotificationDelivered / NotificationFailed through the outbox.
* Channels and providers come from the topology (see ``adapters/settings.py``): email over SMTP or
  into a Maildir, SMS through Twilio's Messages API or a local spool, push through the Expo Push
  API or a local spool. The embedded defaults never contact anything outside the machine.
* Templates are Jinja2 (sandboxed, strict) stored in the database, seeded from the versioned files
  in ``adapters/default_templates``.
"""
