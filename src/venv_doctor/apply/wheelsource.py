"""Where ``fix`` gets its wheels: the command line's options, turned into a getter."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from packaging.tags import Tag

from venv_doctor.apply.fetch import DownloadProgress
from venv_doctor.apply.obtain import obtain_wheels
from venv_doctor.apply.wheels import DEFAULT_TIMEOUT, FetchOptions, Pin, WheelRequest
from venv_doctor.plan.actions import InstallDist

WheelGetter = Callable[[Sequence[InstallDist], Sequence[Tag]], dict[str, Path]]


class DownloadBar(Protocol):
    """Told of each download's progress; closed once every wheel is there."""

    def __call__(self, event: DownloadProgress, /) -> None: ...

    def close(self) -> None: ...


def wheel_getter(
    *,
    find_links: Sequence[Path],
    index_url: str | None,
    offline: bool,
    environ: Mapping[str, str],
    progress: DownloadBar | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> WheelGetter:
    """A getter that finds every wheel a plan installs, verified, before anything changes.

    ``timeout`` bounds each network operation, in seconds.
    """
    options = FetchOptions(
        find_links=tuple(path.absolute() for path in find_links),
        index_url=index_url,
        offline=offline,
        timeout=timeout,
    )

    def get(actions: Sequence[InstallDist], tags: Sequence[Tag]) -> dict[str, Path]:
        requests: list[WheelRequest] = [_request(action) for action in actions]
        try:
            found = obtain_wheels(
                requests, tags=tags, options=options, progress=progress, environ=environ
            )
        finally:
            if progress is not None:
                progress.close()
        return {action.package: wheel.path for action, wheel in zip(actions, found, strict=True)}

    return get


def _request(action: InstallDist) -> WheelRequest:
    if action.wanted is not None:
        return action.wanted
    if action.version is None:
        from venv_doctor.errors import VenvDoctorError

        raise VenvDoctorError(
            f"{action.package} has no version to reinstall (its metadata is gone)",
            hint="name a lockfile: venv-doctor fix --from uv.lock",
        )
    return Pin.of(action.package, action.version)
