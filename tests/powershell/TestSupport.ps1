# Shared by the *.Tests.ps1 files (dot-sourced in BeforeAll): the module, and
# the fixtures tests/powershell/run_tests.sh made with the real permwatch.exe
# under Wine in this run.
$script:Root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).ProviderPath
$script:ModuleDir = Join-Path $script:Root 'installer/PermWatch'
Import-Module (Join-Path $script:ModuleDir 'PermWatch.psd1') -Force -ErrorAction Stop
# One recorded run, in the shape the module's Invoke-PermWatchExe returns.
# Reads the folder from the environment each time: mocks also run under
# Deploy-PermWatch.ps1's own script scope.
function Get-Fixture([string] $Name) {
    $dir = $env:PERMWATCH_TEST_FIXTURES
    if (-not $dir -or -not (Test-Path (Join-Path $dir "$Name.exit"))) {
        throw "fixture $Name is missing: run tests/powershell/run_tests.sh, which makes it with the real permwatch.exe"
    }
    [pscustomobject]@{
        ExitCode  = [int]([IO.File]::ReadAllText((Join-Path $dir "$Name.exit")).Trim())
        Output    = [IO.File]::ReadAllText((Join-Path $dir "$Name.out"))
        ErrorText = [IO.File]::ReadAllText((Join-Path $dir "$Name.err"))
    }
}
# Mocks the module's exe call with the recorded run $Name, for the block
# that calls this (where ParameterFilter matches). The reader travels in the
# closure: the mock runs where this file's functions are not in scope.
function Use-Fixture([string] $Name, [scriptblock] $ParameterFilter) {
    $read = ${function:Get-Fixture}
    $only = @{}
    if ($ParameterFilter) { $only.ParameterFilter = $ParameterFilter }
    Mock -ModuleName PermWatch Invoke-PermWatchExe { & $read $Name }.GetNewClosure() @only
}
