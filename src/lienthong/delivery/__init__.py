"""One delivery mechanism for the project: a durable leased queue, one retry policy, one SMTP mailer."""

from lienthong.delivery.failures import PermanentFailure, TemporaryFailure
from lienthong.delivery.policy import RetryPolicy
from lienthong.delivery.queue import LeaseQueue

__all__ = ["LeaseQueue", "PermanentFailure", "RetryPolicy", "TemporaryFailure"]
