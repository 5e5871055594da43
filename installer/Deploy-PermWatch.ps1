#Requires -Version 5.1
#Requires -Modules FailoverClusters
<#
.SYNOPSIS
    Installs or upgrades PermWatch on every node of a failover cluster and
    prints one row per node: Node, Installed, ServiceState, Version, Keys, Compliant.

.DESCRIPTION
    For each node of Get-ClusterNode: copies the MSI (and -ConfigPath, if
    given) to \\node\admin$\Temp, runs msiexec /i ... /qn /l*v there, checks its
    exit code (0, or 3010 = reboot needed), then reads the service's state and
    `permwatch.exe status --json` on that node. A failing node becomes a row
    with the error; the script goes on to the next node.

    NOT RUN: written on the Linux build machines, where neither PowerShell's
    FailoverClusters module nor a cluster exists. Review it and try it on a
    test cluster before production.

.PARAMETER ConfigPath
    Optional config to place at %ProgramData%\PermWatch\permwatch.json on each
    node before installing. The MSI never overwrites an existing config; with
    this parameter the given one replaces it (the service reads it at start).

.EXAMPLE
    .\Deploy-PermWatch.ps1 -MsiPath .\permwatch.msi -Cluster EXCL01 -WhatIf
#>
[CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
param(
    [Parameter(Mandatory)] [ValidateScript({ Test-Path -LiteralPath $_ -PathType Leaf })]
    [string] $MsiPath,
    [ValidateScript({ Test-Path -LiteralPath $_ -PathType Leaf })]
    [string] $ConfigPath,
    [string] $Cluster = '.'
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'   # inside each node's try: an error ends that node only

$msiName = Split-Path -Leaf $MsiPath
$rows = foreach ($node in Get-ClusterNode -Cluster $Cluster) {
    $name = $node.Name
    $row = [pscustomobject]@{
        Node = $name; Installed = $false; ServiceState = $null; Version = $null
        Keys = $null; Compliant = $null; Error = $null
    }
    try {
        if ($PSCmdlet.ShouldProcess($name, "install $msiName")) {
            $share = "\\$name\admin$\Temp"
            Copy-Item -LiteralPath $MsiPath -Destination $share -Force
            if ($ConfigPath) {
                $dataDir = "\\$name\C$\ProgramData\PermWatch"
                New-Item -ItemType Directory -Path $dataDir -Force | Out-Null
                Copy-Item -LiteralPath $ConfigPath -Destination "$dataDir\permwatch.json" -Force
            }
            # msiexec is a GUI-subsystem program: Start-Process -Wait gives its exit code.
            $code = Invoke-Command -ComputerName $name -ArgumentList $msiName -ScriptBlock {
                param($msi)
                $path = Join-Path $env:SystemRoot "Temp\$msi"
                $log = Join-Path $env:SystemRoot 'Temp\permwatch-install.log'
                (Start-Process msiexec.exe -Wait -PassThru -ArgumentList `
                    "/i `"$path`" /qn /norestart /l*v `"$log`"").ExitCode
            }
            if ($code -notin 0, 3010) {
                throw "msiexec exited with $code (log: \\$name\admin$\Temp\permwatch-install.log)"
            }
        }
        # State, whether or not we installed (-WhatIf still reports). Get-Service
        # runs on the node: PowerShell 7's Get-Service has no -ComputerName.
        $state = Invoke-Command -ComputerName $name -ScriptBlock {
            $service = Get-Service -Name PermWatch -ErrorAction SilentlyContinue
            if (-not $service) { return $null }
            $exe = Join-Path $env:ProgramFiles 'PermWatch\permwatch.exe'
            $json = & $exe status --json 2>&1   # exit 4: service not reachable
            [pscustomobject]@{ State = [string]$service.Status; Exit = $LASTEXITCODE; Json = ($json -join "`n") }
        }
        $row.Installed = [bool]$state
        if ($state) {
            $row.ServiceState = $state.State
            if ($state.Exit -ne 0) { throw "permwatch status exited with $($state.Exit): $($state.Json)" }
            $s = $state.Json | ConvertFrom-Json
            $row.Version = $s.version
            $row.Keys = @($s.keys).Count
            $row.Compliant = -not (@($s.keys) | Where-Object { $_.state -notin 'compliant', 'repaired' })
        }
    }
    catch {
        $row.Error = $_.Exception.Message
    }
    $row
}

$rows | Format-Table -AutoSize Node, Installed, ServiceState, Version, Keys, Compliant, Error
