"""The demo's far ends: the WhatsApp sandbox (a Graph API fake and the patient's side), the phone simulator,
the terminal patient, and the demo app that mounts them with the Open Dental sandbox."""
