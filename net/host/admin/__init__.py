"""The host's admin listener: Prometheus metrics and the operators' console, on a port of their own.

``AdminListener(host, AdminSettings(port, password))`` runs beside a started ``Host``;
``python main.py --serve --admin-port N`` starts one (docs/HOST.md, "Operating it").
"""

from net.host.admin.access import PASSWORD_ENV, AdminConfigError, read_password
from net.host.admin.listener import AdminListener, AdminSettings

__all__ = ["PASSWORD_ENV", "AdminConfigError", "AdminListener", "AdminSettings", "read_password"]
