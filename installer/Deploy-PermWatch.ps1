#Requires -Version 5.1
<#
.SYNOPSIS
    Installs or upgrades PermWatch on every node of a failover cluster: the
    script the project has always shipped, now a thin wrapper around the
    PermWatch module's Install-PermWatch.

.DESCRIPTION
    Imports the module beside this script (installer\PermWatch), or the one
    the MSI installed, and runs Install-PermWatch with the same parameters:
    every node reachable or none touched; per node an admin-only staging
    folder, the MSI's SHA-256 checked on the node, msiexec; a stop at the
    first node that fails, naming it; at the end the pre-flight
    (Test-PermWatchCluster). Get-Help Install-PermWatch -Full says the rest.

.PARAMETER MsiPath
    permwatch.msi.

.PARAMETER ConfigPath
    Optional config to place at %ProgramData%\PermWatch\permwatch.json on each node.

.PARAMETER Cluster
    The cluster (default: the one this computer is a node of).

.PARAMETER PreflightDelaySeconds
    How long to wait before the pre-flight (default 15).

.EXAMPLE
    .\Deploy-PermWatch.ps1 -MsiPath .\permwatch.msi -Cluster EXCL01 -WhatIf
#>
[CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
param(
    [Parameter(Mandatory)] [string] $MsiPath,
    [string] $ConfigPath,
    [string] $Cluster = '.',
    [int] $PreflightDelaySeconds = 15
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# Not -Force: a module already loaded (a newer one, or one under test) is kept.
$beside = Join-Path $PSScriptRoot 'PermWatch\PermWatch.psd1'
if (-not (Get-Module PermWatch)) {
    if (Test-Path -LiteralPath $beside) { Import-Module $beside } else { Import-Module PermWatch }
}
if (-not $PSBoundParameters.ContainsKey('Cluster')) { $PSBoundParameters['Cluster'] = $Cluster }
Install-PermWatch @PSBoundParameters
