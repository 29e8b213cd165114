"""no_grad, enable_grad and set_grad_enabled: as context managers, as decorators, nested."""
from ops.oracle import check_scenario, data


def _records(lib, x) -> bool:
    return (x * 2).requires_grad


def test_context_managers_nest_and_restore():
    def scenario(lib):
        x = lib.tensor(data(2), requires_grad=True)
        seen = [_records(lib, x)]
        with lib.no_grad():
            seen += [_records(lib, x), lib.is_grad_enabled()]
            with lib.enable_grad():
                seen += [_records(lib, x), lib.is_grad_enabled()]
                with lib.set_grad_enabled(False):
                    seen.append(_records(lib, x))
                seen.append(_records(lib, x))
            seen.append(_records(lib, x))
        seen += [_records(lib, x), lib.is_grad_enabled()]
        return seen

    check_scenario(scenario)


def test_decorators_switch_only_inside_the_call():
    def scenario(lib):
        x = lib.tensor(data(2), requires_grad=True)

        @lib.no_grad()
        def without(t):
            return _records(lib, t), lib.is_grad_enabled()

        @lib.enable_grad()
        def with_grad(t):
            return _records(lib, t)

        @lib.set_grad_enabled(False)
        def switched_off(t):
            return _records(lib, t)

        seen = [*without(x), switched_off(x), lib.is_grad_enabled()]
        with lib.no_grad():
            seen += [with_grad(x), lib.is_grad_enabled()]
        return seen

    check_scenario(scenario)


def test_set_grad_enabled_as_a_plain_call_switches_until_changed():
    def scenario(lib):
        x = lib.tensor(data(2), requires_grad=True)
        lib.set_grad_enabled(False)
        off = _records(lib, x)
        lib.set_grad_enabled(True)
        return off, _records(lib, x)

    check_scenario(scenario)


def test_mode_is_restored_when_the_body_raises():
    def scenario(lib):
        try:
            with lib.no_grad():
                raise ValueError
        except ValueError:
            pass

        @lib.no_grad()
        def failing():
            raise KeyError

        try:
            failing()
        except KeyError:
            pass
        return lib.is_grad_enabled()

    check_scenario(scenario)


def test_results_under_no_grad_are_constants_in_a_later_graph():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        with lib.no_grad():
            c = x * 3
        (c * x).sum().backward()
        return c.requires_grad, x.grad

    check_scenario(scenario)
