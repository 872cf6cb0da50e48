import pytest

from venv_doctor.read.activation import is_activate_script, venv_of_activate_script


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        # python -m venv 3.11 (no quoting of the path)
        pytest.param(
            "activate",
            'deactivate nondestructive\n\nVIRTUAL_ENV="/a b/.venv"\nexport VIRTUAL_ENV\n',
            "/a b/.venv",
            id="venv-sh",
        ),
        # python -m venv 3.13 (shlex-quoted, cygpath on MSYS first)
        pytest.param(
            "activate",
            'case "$(uname)" in\n    CYGWIN*|MSYS*|MINGW*)\n'
            "        VIRTUAL_ENV=$(cygpath 'C:\\a b\\.venv')\n        export VIRTUAL_ENV\n"
            "        ;;\n    *)\n        export VIRTUAL_ENV='C:\\a b\\.venv'\n        ;;\nesac\n",
            "C:\\a b\\.venv",
            id="venv-sh-windows",
        ),
        # uv: shell quoting of a path with a single quote
        pytest.param(
            "activate",
            "VIRTUAL_ENV='/p/it'\"'\"'s/.venv'\nif cygwin; then\n"
            '    VIRTUAL_ENV=$(cygpath -u "$VIRTUAL_ENV")\nfi\nexport VIRTUAL_ENV\n',
            "/p/it's/.venv",
            id="uv-sh",
        ),
        # virtualenv: the computed value for a moved venv comes first
        pytest.param(
            "activate",
            "if [ ! -d '/p/.venv' ]; then\n        VIRTUAL_ENV=\"$CURRENT_ENV\"\n"
            "    else\n        VIRTUAL_ENV='/p/.venv'\n    fi\n",
            "/p/.venv",
            id="virtualenv-sh",
        ),
        pytest.param("activate", 'VIRTUAL_ENV="$(dirname "$here")"\n', None, id="sh-computed"),
        pytest.param("activate", 'VIRTUAL_ENV_PROMPT="(x) "\n', None, id="sh-prompt-only"),
        pytest.param(
            "activate.bat",
            '@echo off\r\nset "VIRTUAL_ENV=C:\\p\\.venv"\r\n',
            "C:\\p\\.venv",
            id="venv-bat",
        ),
        pytest.param(
            "activate.bat",
            '@for %%i in ("C:\\p q\\.venv") do @set "VIRTUAL_ENV=%%~fi"\r\n'
            '@set "VIRTUAL_ENV_PROMPT="\r\n',
            "C:\\p q\\.venv",
            id="uv-bat",
        ),
        pytest.param(
            "activate.bat", "set VIRTUAL_ENV=C:\\p\\.venv\r\n", "C:\\p\\.venv", id="bare-bat"
        ),
        pytest.param("activate.bat", '@set "VIRTUAL_ENV=%~dp0.."\r\n', None, id="bat-computed"),
        pytest.param(
            "activate.csh", 'setenv VIRTUAL_ENV "/a b/.venv"\n', "/a b/.venv", id="venv-csh"
        ),
        pytest.param(
            "activate.csh",
            "setenv VIRTUAL_ENV '/p/v\"e'\nsetenv VIRTUAL_ENV_PROMPT ''\n",
            '/p/v"e',
            id="virtualenv-csh",
        ),
        pytest.param(
            "activate.fish",
            "    set -e VIRTUAL_ENV\nset -gx VIRTUAL_ENV '/p/.venv'\n",
            "/p/.venv",
            id="fish",
        ),
        pytest.param(
            "activate.nu",
            "    const virtual_env = '/p/it'\"'\"'s/.venv'\n",
            "/p/it's/.venv",
            id="uv-nu",
        ),
        pytest.param(
            "activate.nu", "    let virtual_env = r#'/p/v\"e'#\n", '/p/v"e', id="virtualenv-nu"
        ),
        pytest.param(
            "activate.xsh",
            "            self.embedded_virtual_env = '/p/v\"e'\n"
            "        $VIRTUAL_ENV = self.embedded_virtual_env\n",
            '/p/v"e',
            id="virtualenv-xsh",
        ),
        pytest.param(
            "activate.xsh",
            "        self.embedded_virtual_env = dirname(dirname(realpath(__file__)))\n",
            None,
            id="uv-xsh",
        ),
        pytest.param(
            "Activate.ps1", "$env:VIRTUAL_ENV = $VenvDir\r\n", None, id="venv-ps1-computed"
        ),
        pytest.param(
            "activate.ps1", "$env:VIRTUAL_ENV = 'C:\\it''s'\r\n", "C:\\it's", id="ps1-literal"
        ),
        pytest.param(
            "activate_this.py",
            'os.environ["VIRTUAL_ENV"] = base\n',
            None,
            id="activate-this",
        ),
        pytest.param("activate", "VIRTUAL_ENV='/unclosed\n", None, id="unclosed-quote"),
        # uv venv --relocatable: every script finds the venv from its own place
        pytest.param(
            "activate",
            'VIRTUAL_ENV=\'\'"$(dirname -- "$(dirname -- "$(realpath -- "$SCRIPT_PATH")")")"\'\'\n',
            None,
            id="uv-relocatable-sh",
        ),
        pytest.param(
            "activate.fish",
            "set -gx VIRTUAL_ENV ''(dirname -- (dirname -- (realpath -- (status -f))))''\n",
            None,
            id="uv-relocatable-fish",
        ),
        pytest.param(
            "activate.nu",
            "    const virtual_env = (path self | path dirname | path dirname)\n",
            None,
            id="uv-relocatable-nu",
        ),
        pytest.param(
            "activate.bat",
            '@for %%i in ("%~dp0..") do @set "VIRTUAL_ENV=%%~fi"\r\n',
            None,
            id="uv-relocatable-bat",
        ),
        pytest.param(
            "activate.csh",
            'setenv VIRTUAL_ENV `dirname -- "$here"`\n',
            None,
            id="csh-computed",
        ),
        # virtualenv 21.15.11: the path goes into a variable first
        pytest.param(
            "activate.csh",
            "set _virtualenv_dir='/w/it'\"'\"'s'\nsetenv VIRTUAL_ENV \"$_virtualenv_dir:q\"\n",
            "/w/it's",
            id="virtualenv-21.15.11-csh",
        ),
        pytest.param(
            "activate.xsh",
            "            self.embedded_virtual_env = self._fs_path('/w/env', required=True)\n",
            "/w/env",
            id="virtualenv-21.15.11-xsh",
        ),
        pytest.param(
            "activate.xsh",
            "            self.embedded_virtual_env = self._fs_path(here, required=True)\n",
            None,
            id="xsh-computed",
        ),
    ],
)
def test_venv_of_activate_script(name, text, expected):
    assert venv_of_activate_script(name, text) == expected


def test_which_scripts_are_read():
    assert all(
        is_activate_script(name)
        for name in ("activate", "activate.bat", "activate.nu", "Activate.ps1", "activate.xsh")
    )
    assert not any(
        is_activate_script(name) for name in ("activate_this.py", "deactivate.bat", "pip")
    )
