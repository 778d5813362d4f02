"""Who may log in to a node: the ``--user`` logins given at start, and the roles of the
database (CREATE ROLE ... LOGIN, replicated with the data, so every node accepts the same).

As PostgreSQL answers: an unknown role is ``28000 role "x" does not exist`` under trust (with
passwords, the exchange fails as for a wrong password, so that a client cannot probe which
roles exist); a role without LOGIN is ``28000 role "x" is not permitted to log in``; a role's
password is checked against its SCRAM verifier, and fails past VALID UNTIL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pgha.storage import roles
from pgha.wire.auth import (
    AuthExchange,
    AuthMethod,
    Credential,
    Refused,
    StaticAuthenticator,
    TrustExchange,
)
from pgha.wire.errors import InvalidAuthorizationSpecification


class RoleAuthenticator:
    def __init__(self, method: AuthMethod, logins: Mapping[str, Credential],
                 find_role: Callable[[str], roles.Role | None]) -> None:
        self.method = method
        self.logins = StaticAuthenticator(logins)  # --user; also fails unknown users politely
        self.names = frozenset(logins)
        self.find_role = find_role

    def begin(self, user: str, parameters: Mapping[str, str]) -> AuthExchange:
        if user in self.names:
            return self.logins.begin(user, parameters)
        role = self.find_role(user)
        if role is roles.BOOTSTRAP_ROLE and self.names:
            role = None  # with --user logins, postgres logs in only once given a password
        if role is None:
            if self.method is AuthMethod.TRUST:
                return Refused(InvalidAuthorizationSpecification(f'role "{user}" does not exist',
                                                                 severity="FATAL"))
            return self.logins.begin(user, parameters)  # fails as a wrong password would
        if not role.login:
            return Refused(InvalidAuthorizationSpecification(
                f'role "{user}" is not permitted to log in',
                severity="FATAL"))
        if self.method is AuthMethod.TRUST:
            return TrustExchange()
        secret = None if roles.expired(role) else role.password
        return StaticAuthenticator({user: Credential(self.method, secret)}).begin(user,
                                                                                  parameters)
