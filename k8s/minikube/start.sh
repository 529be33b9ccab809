#!/usr/bin/env bash
# A minikube profile for a Vigil trial: Calico enforces the NetworkPolicies, metrics-server feeds the HPAs.
set -euo pipefail
minikube start --profile vigil --cni calico --cpus 4 --memory 8g --kubernetes-version v1.35.4
minikube addons enable metrics-server --profile vigil
