"""The national hub: directory, intake, delivery, status routing, audit and receipts."""
